"""A hospital: check-in by chip card instead of the health-insurance card, and emergency lookups.

Under Project 06 (Decision 06/QĐ-TTg) patients check in at a hospital with their
chip identity card (or VNeID) instead of the paper health-insurance card: the
hospital's system reads the card's personal ID and fetches the patient's
identity and health-insurance card number from the national database.

- ``check_in`` (frequent): ``GET /v1/citizens/{id}`` under ``patient_checkin``;
  a patient with a health-insurance card on record is admitted as insured, one
  without pays as a private patient.
- ``emergency_lookup`` (rare): an unconscious patient is identified from the
  card found on them, under ``emergency_care``, which reads blood type, phone
  and next of kin. Decree 13/2023/ND-CP Art. 17 lets this happen without the
  patient's consent; the lookup is audited under that purpose, so it stands out
  in the audit log and in the citizen's data tracker.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from connectors.base import Connector
from connectors.builtin.answers import json_object

RELATIVES = ("spouse", "father", "mother")


class HospitalConnector(Connector):
    name = "hospital"
    title = "Hospital: patient check-in by chip card, emergency identification"
    agency = "honglinh-hospital"
    sector = "hospital"
    purposes: ClassVar[dict[str, str]] = {
        "checkin": "patient_checkin",
        "emergency": "emergency_care",
    }
    tasks: ClassVar[dict[str, int]] = {"check_in": 12, "emergency_lookup": 1}
    sample_filters: ClassVar[dict[str, Any]] = {"min_age": 0}  # children are patients too

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.admissions: Counter[str] = Counter()  # insured, self_pay, deceased_record, refused
        self.next_of_kin: dict[str, list[str]] = {}  # emergency patient → relatives' IDs

    async def check_in(self) -> None:
        """A patient hands over the chip card at reception: read identity and insurance."""
        person = self.pick()
        response = await self.get_citizen(person["personal_id"], "checkin", task="check_in")
        if response is None or response.status_code != 200:
            self.admissions["refused"] += 1
            return
        patient = json_object(response)
        if patient.get("vital_status") == "deceased":
            self.admissions["deceased_record"] += 1  # someone else's card: call security
        elif patient.get("health_insurance_card"):
            self.admissions["insured"] += 1
        else:
            self.admissions["self_pay"] += 1

    async def emergency_lookup(self) -> None:
        """An unconscious patient: identify them and find relatives to call."""
        person = self.pick()
        response = await self.get_citizen(
            person["personal_id"], "emergency", task="emergency_lookup"
        )
        if response is None or response.status_code != 200:
            return
        patient = json_object(response)
        relatives = [patient.get(role) for role in RELATIVES]
        self.next_of_kin[person["personal_id"]] = [
            str(r["personal_id"]) for r in relatives if isinstance(r, dict) and r.get("personal_id")
        ]
