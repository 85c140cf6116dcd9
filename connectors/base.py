"""The ``Connector`` base: what every simulated agency has in common.

A connector is declarative (its sector, demo agency, purposes and weighted tasks)
plus a few small hooks; the base does the rest (the template method ``step``:
pick a task by weight, run it, let the client retry and log it).

    class PharmacyConnector(Connector):
        name = "pharmacy"
        title = "Pharmacy checking prescriptions"
        agency = "honglinh-hospital"
        sector = "hospital"
        purposes = {"checkin": "patient_checkin"}
        tasks = {"check_patient": 1}

        async def check_patient(self) -> None:
            person = self.pick()
            await self.get_citizen(person["personal_id"], "checkin", task="check_patient")

Subclasses get an injected ``RegistryClient`` (credentials, retries with backoff
and jitter that honour ``Retry-After``, request ids, the call log), so the same
connector runs against a live server, the app in-process (``httpx.ASGITransport``)
or a mock (``httpx.MockTransport``).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from app.config import DEFAULT_ADMIN_TOKEN
from connectors.client import RegistryClient


class ConnectorError(RuntimeError):
    """A connector cannot run (no candidates, its agency lacks a purpose, …)."""


class Connector:
    name: ClassVar[str]  # the name `popreg connectors run NAME` takes
    title: ClassVar[str]  # one line for `popreg connectors list`
    agency: ClassVar[str]  # the demo agency whose key it uses unless given another
    sector: ClassVar[str]
    purposes: ClassVar[Mapping[str, str]]  # what it does → the agency's purpose code
    tasks: ClassVar[Mapping[str, int]]  # coroutine method name → weight
    sample_size: ClassVar[int] = 200  # citizens drawn at setup (its "customers")
    sample_filters: ClassVar[Mapping[str, Any]] = {"min_age": 18}

    def __init__(
        self,
        registry: RegistryClient,
        *,
        admin_token: str = DEFAULT_ADMIN_TOKEN,
        rng: random.Random | None = None,
    ) -> None:
        self.registry = registry
        self.admin_token = admin_token
        self.rng = rng or random.Random()  # noqa: S311 - simulation, not security
        self.people: list[dict[str, Any]] = []

    # --- the template ------------------------------------------------------------------

    async def setup(self) -> None:
        """Hook: get ready (by default: draw the connector's customers from the registry)."""
        self.people = await self.sample(self.sample_size, **self.sample_filters)

    async def step(self) -> str:
        """Run one task chosen by weight; returns its name."""
        names = list(self.tasks)
        name = self.rng.choices(names, weights=[self.tasks[n] for n in names], k=1)[0]
        await getattr(self, name)()
        return name

    async def teardown(self) -> None:
        """Hook: release what ``setup`` made (subscriptions, jobs)."""

    # --- helpers for tasks ---------------------------------------------------------------

    def purpose(self, role: str) -> str:
        return self.purposes[role]

    def pick(self) -> dict[str, Any]:
        if not self.people:
            raise ConnectorError(f"{self.name}: no citizens to work with (is the registry seeded?)")
        return self.rng.choice(self.people)

    async def sample(self, count: int, **filters: Any) -> list[dict[str, Any]]:
        """Random citizens (sandbox endpoint, admin token): the connector's own customers."""
        response = await self.registry.http.get(
            "/v1/sandbox/citizens/sample",
            params={"count": count, **filters},
            headers={"Authorization": f"Bearer {self.admin_token}"},
        )
        if response.status_code != 200:
            raise ConnectorError(
                f"{self.name}: cannot draw citizens ({response.status_code}): {response.text[:200]}"
            )
        people: list[dict[str, Any]] = response.json()["citizens"]
        return people

    async def get_citizen(self, personal_id: str, role: str, *, task: str) -> httpx.Response | None:
        return await self.registry.request(
            "GET",
            f"/v1/citizens/{personal_id}",
            route="/v1/citizens/{personal_id}",
            purpose=self.purpose(role),
            task=task,
        )

    async def verify(
        self, personal_id: str, claims: Mapping[str, Any], role: str, *, task: str
    ) -> httpx.Response | None:
        return await self.registry.request(
            "POST",
            "/v1/identity/verify",
            json={"personal_id": personal_id, "purpose": self.purpose(role), "claims": claims},
            purpose=self.purpose(role),
            task=task,
            safe=True,  # a verification changes nothing: safe to retry
        )

    def typo(self, name: str, chance: float) -> str:
        """Sometimes drop the diacritics, as many agency databases did."""
        if self.rng.random() >= chance:
            return name
        import unicodedata

        decomposed = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
        return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
