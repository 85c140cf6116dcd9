"""A pharmacy that checks a patient's health-insurance card before dispensing.

Since Decision 06/QD-TTg a patient may show the chip ID card instead of the
health-insurance card. At the counter the pharmacy reads the card number and the
vital status under the hospital's ``patient_checkin`` purpose, and dispenses on
insurance only to a living patient with a card on record; a patient without the
card in hand is verified by the name and birth date they give.
"""

from __future__ import annotations

from typing import Any, ClassVar

from connectors import Connector


class PharmacyConnector(Connector):
    name = "pharmacy"
    title = "Pharmacy: check the health-insurance card before dispensing"
    agency = "honglinh-hospital"  # a pharmacy acting under the hospital's agreement
    sector = "hospital"
    purposes: ClassVar[dict[str, str]] = {"checkin": "patient_checkin"}
    tasks: ClassVar[dict[str, int]] = {"dispense": 3, "verify_patient": 1}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_insurance = 0  # prescriptions the insurance pays for
        self.full_price = 0  # no card on record, or the patient is not alive

    async def dispense(self) -> None:
        """A prescription at the counter: read the card number and vital status."""
        person = self.pick()
        response = await self.get_citizen(person["personal_id"], "checkin", task="dispense")
        if response is None or response.status_code != 200:
            return  # the call log has the outcome
        patient = response.json()
        if patient.get("health_insurance_card") and patient.get("vital_status") == "alive":
            self.on_insurance += 1
        else:
            self.full_price += 1

    async def verify_patient(self) -> None:
        """No card in hand: check the name and birth date the patient gives."""
        person = self.pick()
        claims = {
            "full_name": self.typo(person["full_name"], 0.1),  # typed without diacritics
            "birth_date": person["birth_date"],
        }
        await self.verify(person["personal_id"], claims, "checkin", task="verify_patient")
