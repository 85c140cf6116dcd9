"""A provincial public-service portal: verifying applicants and prefilling their forms.

Decree 45/2020/ND-CP on online public services (and Project 06's "once only"
principle) means a citizen applying online for a service (a residence
confirmation, a marital-status certificate, a business licence …) should not
type again what the national population database already holds.

- ``apply_online`` (frequent): the applicant types their personal ID, name and
  birth date (sometimes with the usual slips); the portal verifies them with
  ``POST /v1/identity/verify`` and, when they match, prefills the form.
- ``prefill_form``: an applicant signed in with a level-2 VNeID account, whose
  identity is already proven: the form is prefilled at once from
  ``GET /v1/citizens/{id}`` (addresses, phone, email, marital status).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from connectors.base import Connector
from connectors.builtin import dirty
from connectors.builtin.answers import json_object

FORM_FIELDS = ("full_name", "birth_date", "permanent_address", "current_address", "phone", "email")


class PortalConnector(Connector):
    name = "portal"
    title = "Province portal: applicant verification and prefilled public-service forms"
    agency = "province-portal-demo"
    sector = "local_government"
    purposes: ClassVar[dict[str, str]] = {"application": "public_service_application"}
    tasks: ClassVar[dict[str, int]] = {"apply_online": 4, "prefill_form": 3}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.applications: Counter[str] = Counter()  # prefilled, rejected, unanswered
        self.prefilled: dict[str, int] = {}  # applicant → form fields filled from the registry

    async def apply_online(self) -> None:
        """An applicant types their details: verify them, then prefill the form."""
        person = self.pick()
        claims = {
            "full_name": self.typo(person["full_name"], 0.04),
            "birth_date": person["birth_date"],
        }
        roll = self.rng.random()
        if roll < 0.3:
            claims["birth_date"] = dirty.day_first(claims["birth_date"])
        elif roll < 0.33:
            claims["birth_date"] = dirty.swap_day_month(claims["birth_date"])
        response = await self.verify(
            person["personal_id"], claims, "application", task="apply_online"
        )
        if response is None or response.status_code != 200:
            self.applications["unanswered" if response is None else "rejected"] += 1
            return
        if json_object(response).get("decision") != "match":
            self.applications["rejected"] += 1  # asked to check the details and try again
            return
        await self.prefill(person["personal_id"], task="apply_online")

    async def prefill_form(self) -> None:
        """A VNeID-signed-in applicant: their identity is proven, prefill at once."""
        await self.prefill(self.pick()["personal_id"], task="prefill_form")

    async def prefill(self, personal_id: str, *, task: str) -> None:
        response = await self.get_citizen(personal_id, "application", task=task)
        if response is None or response.status_code != 200:
            self.applications["unanswered" if response is None else "rejected"] += 1
            return
        record = json_object(response)
        self.prefilled[personal_id] = sum(1 for f in FORM_FIELDS if record.get(f))
        self.applications["prefilled"] += 1
