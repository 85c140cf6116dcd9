"""A provincial civil registry (Sở Tư pháp): registering births and deaths.

Under the Law on Civil Status 2014 a birth is registered within 60 days and a
death within 15; since Project 06 the registration is made online against the
national population database, which issues the newborn's personal ID at once
and marks the deceased, so every agency that follows life events learns of it.

- ``register_birth`` (more frequent: Vietnam registers over twice as many births
  as deaths): a mother drawn from living women aged 18–45, the father her husband
  when she is married, the child in the mother's birth-registration province and
  household, named after the father (or the mother), born in the last month.
- ``register_death``: a citizen aged 70 or more, died in the last week.

Every registration carries an ``Idempotency-Key``, so a retry after a lost
answer never records a second child or a second death. Subjects follow the
registry's rules (app/events/civil_rules.py): a mother is female and 13–65 at
the birth, a father male; nobody dies twice (a subject leaves the pool when
picked, so concurrent steps never share one).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from app.identity.provinces import PROVINCES
from connectors.base import Connector, ConnectorError
from connectors.builtin.answers import json_object

BOYS_PER_GIRL = 1.12  # sex ratio at birth (GSO)
GIVEN_NAMES = {
    "male": ("Minh Khang", "Gia Huy", "Đức Anh", "Bảo Long", "Quốc Bảo", "Minh Quân", "Hoàng Nam"),
    "female": ("Ngọc Hân", "Bảo Ngọc", "Khánh Linh", "Thảo Vy", "Minh Anh", "Gia Hân", "An Nhiên"),
}
BIRTH_PLACES = ("Bệnh viện Phụ sản {}", "Bệnh viện Đa khoa tỉnh {}", "Trạm Y tế xã, {}")
DEATH_PLACES = ("Tại nơi cư trú", "Bệnh viện Đa khoa tỉnh", "Trung tâm Y tế huyện")
MOTHERS_FILTER = {"sex": "female", "min_age": 18, "max_age": 45}
ELDERLY_FILTER = {"min_age": 70}


class CivilRegistryConnector(Connector):
    name = "civil_registry"
    title = "Civil registry: birth and death registration"
    agency = "civil-registry-demo"
    sector = "civil_registry"
    purposes: ClassVar[dict[str, str]] = {"registration": "civil_status"}
    tasks: ClassVar[dict[str, int]] = {"register_birth": 7, "register_death": 3}
    sample_size: ClassVar[int] = 100

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mothers: list[dict[str, Any]] = []
        self.elderly: list[dict[str, Any]] = []
        self.births: list[str] = []  # the newborns' personal IDs
        self.deaths: list[str] = []
        self.refused: dict[str, int] = {}  # problem code → how many

    async def setup(self) -> None:
        self.mothers = await self.candidates("mothers")
        self.elderly = await self.candidates("elderly")
        self.people = self.mothers + self.elderly
        if not self.people:
            raise ConnectorError(f"{self.name}: no mothers or elderly citizens to register")

    async def candidates(self, pool: str) -> list[dict[str, Any]]:
        """Subjects for one kind of registration, drawn afresh (living citizens only)."""
        if pool == "mothers":
            drawn = await self.sample(self.sample_size, **{**self.sample_filters, **MOTHERS_FILTER})
            # The child is registered in the mother's province: it must be a known one.
            return [m for m in drawn if m["personal_id"][:3] in PROVINCES]
        return await self.sample(self.sample_size // 2, **{**self.sample_filters, **ELDERLY_FILTER})

    async def register_birth(self) -> None:
        mother = await self.take("mothers")
        if mother is None:
            return
        today = datetime.now(UTC).date()
        born = today - timedelta(days=self.rng.randint(0, 30))
        married = mother.get("marital_status") == "married" and mother.get("spouse_personal_id")
        father = mother["spouse_personal_id"] if married else None
        sex = "male" if self.rng.random() < BOYS_PER_GIRL / (1 + BOYS_PER_GIRL) else "female"
        # A child takes the father's family name, or the mother's (Civil Code 2015, Art. 26).
        parent_name = (mother.get("spouse_full_name") if father else None) or mother["full_name"]
        province = mother["personal_id"][:3]
        body = {
            "full_name": f"{parent_name.split()[0]} {self.rng.choice(GIVEN_NAMES[sex])}",
            "sex": sex,
            "birth_date": born.isoformat(),
            "place_of_birth": self.rng.choice(BIRTH_PLACES).format(PROVINCES[province]),
            "birth_registration_province": province,
            "mother_personal_id": mother["personal_id"],
            "father_personal_id": father,
        }
        response = await self.register("births", body, task="register_birth")
        if response is not None:
            events = response.get("events")
            if isinstance(events, list) and events and isinstance(events[0], dict):
                self.births.append(str(events[0].get("personal_id")))

    async def register_death(self) -> None:
        deceased = await self.take("elderly")
        if deceased is None:
            return
        today = datetime.now(UTC).date()
        body = {
            "personal_id": deceased["personal_id"],
            "death_date": (today - timedelta(days=self.rng.randint(0, 7))).isoformat(),
            "place_of_death": self.rng.choice(DEATH_PLACES),
        }
        if await self.register("deaths", body, task="register_death") is not None:
            self.deaths.append(deceased["personal_id"])

    # --- helpers -----------------------------------------------------------------------------

    async def take(self, pool: str) -> dict[str, Any] | None:
        """A subject no other step has: removed from its pool, which is drawn again when empty."""
        subjects = self.mothers if pool == "mothers" else self.elderly
        if not subjects:
            subjects.extend(await self.candidates(pool))
            dead = set(self.deaths)
            subjects[:] = [s for s in subjects if s["personal_id"] not in dead]
        if not subjects:
            return None
        return subjects.pop(self.rng.randrange(len(subjects)))

    async def register(
        self, operation: str, body: dict[str, Any], *, task: str
    ) -> dict[str, Any] | None:
        """One registration with its own Idempotency-Key; the answer when it was recorded."""
        response = await self.registry.request(
            "POST",
            f"/v1/civil/{operation}",
            json=body,
            purpose=self.purpose("registration"),
            idempotency_key=f"{operation}-{uuid.uuid4().hex}",
            task=task,
        )
        if response is None:
            return None
        answer = json_object(response)
        if response.status_code != 201:
            code = str(answer.get("code") or response.status_code)
            self.refused[code] = self.refused.get(code, 0) + 1
            return None
        return answer
