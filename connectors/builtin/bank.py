"""A bank: onboarding KYC against the chip card, periodic re-verification, death notices.

Under Circular 17/2024/TT-NHNN banks check a new customer's identity against the
national database and must re-verify existing customers; accounts of deceased
customers are frozen. The bank follows ``death`` events for its customers with a
webhook-free change-feed poll (a task), so a run shows all three workflows.
"""

from __future__ import annotations

from typing import Any, ClassVar

from connectors.base import Connector

MAX_PAGES = 10  # per step: a backlog is read over several steps


class BankConnector(Connector):
    name = "bank"
    title = "Bank: onboarding KYC, periodic re-verification, freezing deceased customers"
    agency = "phusa-bank"
    sector = "bank"
    purposes: ClassVar[dict[str, str]] = {
        "onboarding": "kyc_onboarding",
        "refresh": "kyc_refresh",
    }
    tasks: ClassVar[dict[str, int]] = {"onboard": 6, "reverify": 3, "follow_deaths": 1}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cursor = "latest"
        self.frozen: set[str] = set()

    async def onboard(self) -> None:
        """A new customer at the counter: verify the card data, then read the KYC set."""
        person = self.pick()
        claims = {
            "full_name": self.typo(person["full_name"], 0.05),
            "birth_date": person["birth_date"],
        }
        checked = await self.verify(person["personal_id"], claims, "onboarding", task="onboard")
        if checked is not None and checked.status_code == 200:
            await self.get_citizen(person["personal_id"], "onboarding", task="onboard")

    async def reverify(self) -> None:
        """Periodic re-verification of an existing customer's identity."""
        person = self.pick()
        claims = {"full_name": person["full_name"], "birth_date": person["birth_date"]}
        await self.verify(person["personal_id"], claims, "refresh", task="reverify")

    async def follow_deaths(self) -> None:
        """Read the change feed to its end: freeze deceased customers' accounts, and re-key
        customers whose personal ID was corrected (the event's ``previous`` holds the old)."""
        for _ in range(MAX_PAGES):
            response = await self.registry.request(
                "GET",
                "/v1/events",
                params={"after": self.cursor, "types": "death,id_correction", "limit": 500},
                purpose=self.purpose("refresh"),
                task="follow_deaths",
            )
            if response is None or response.status_code != 200:
                return
            page = response.json()
            self.cursor = page["next_cursor"]
            self._apply(page["events"])
            if not page["has_more"]:
                return

    def _apply(self, events: list[dict[str, Any]]) -> None:
        by_id = {p["personal_id"]: p for p in self.people}
        for event in events:
            if event["type"] == "death" and event["personal_id"] in by_id:
                self.frozen.add(event["personal_id"])
            old = event.get("previous", {}).get("personal_id")
            if event["type"] == "id_correction" and old in by_id:
                by_id[old]["personal_id"] = event["personal_id"]
