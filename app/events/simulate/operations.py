"""The body of each civil-registry request: who it is about, and plausible details.

Subjects come from the candidate pools; what this run has recorded (deaths, new
personal IDs, marriages and divorces) keeps later operations from using anyone
whose state the sample no longer describes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

import numpy as np

from app.events.simulate.api import Candidate
from app.events.simulate.mix import KINDS
from app.events.simulate.pools import POOL_USE, Pools
from app.identity.provinces import PROVINCES
from seed.addresses import draw_migration_wards, street_parts
from seed.names import given_and_middle
from seed.reference import ethnic_groups, kinh_names, places, provinces, wards

BOYS_PER_GIRL = 1.12  # sex ratio at birth (GSO: about 112 boys per 100 girls)
BIRTH_PLACES = (
    ("Bệnh viện Phụ sản {province}", 0.35),
    ("Bệnh viện Đa khoa tỉnh {province}", 0.35),
    ("Trung tâm Y tế huyện, {province}", 0.2),
    ("Trạm Y tế xã, {province}", 0.1),
)
DEATH_PLACES = ("Tại nơi cư trú", "Bệnh viện Đa khoa tỉnh", "Trung tâm Y tế huyện")
RESIDENCE_KINDS = (("permanent", 0.7), ("temporary", 0.2), ("current", 0.1))
CARD_REASONS = (("expired", 0.5), ("lost", 0.3), ("damaged", 0.2))
NAME_REASONS = ("Thay đổi tên theo yêu cầu (Điều 28 Bộ luật Dân sự 2015)", "Cải chính hộ tịch")


@dataclass(frozen=True, slots=True)
class Plan:
    """One request to make, and what to remember if it is recorded."""

    kind: str
    body: dict[str, Any]
    on_recorded: Callable[[], None] = lambda: None


def load_reference() -> None:
    """Read the seed's name and address tables now, not during the first requests."""
    provinces(), wards(), places(), kinh_names(), ethnic_groups()


@cache
def _kinh() -> int:
    names, _ = ethnic_groups()
    return int(np.flatnonzero(names == "Kinh")[0])


def _weighted(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    values = [value for value, _ in choices]
    return rng.choices(values, [weight for _, weight in choices])[0]


def _given_names(npr: np.random.Generator, sex: str, birth_year: int) -> str:
    middle, given = given_and_middle(
        npr, np.array([_kinh()]), np.array([sex == "male"]), np.array([birth_year])
    )
    return f"{middle[0]} {given[0]}"


def _province_index(personal_id: str) -> int:
    """Index in the seed's province table of the ID's birth-registration province."""
    return provinces().index.get(personal_id[:3], 0)


def _years_from(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class Operations:
    """Builds each kind of operation from pooled subjects; remembers who changed in this run."""

    def __init__(self, pools: Pools) -> None:
        self._pools = pools
        self._gone: set[str] = set()  # died or got a new personal ID
        self._status_changed: set[str] = set()  # married, divorced or widowed in this run
        self._used: dict[str, set[str]] = {kind: set() for kind in KINDS}

    async def build(self, kind: str, rng: random.Random, npr: np.random.Generator) -> Plan | None:
        """A request for ``kind``, or None when the pools hold nobody suitable."""
        today = datetime.now(UTC).date()
        builders = {
            "birth": self._birth,
            "death": self._death,
            "residence_change": self._move,
            "marriage": self._marriage,
            "divorce": self._divorce,
            "name_change": self._rename,
            "card_reissue": self._card,
            "id_correction": self._id_correction,
        }
        return await builders[kind](rng, npr, today)

    # Subjects ---------------------------------------------------------------------------

    async def _take(
        self, pool: str, kind: str, fits: Callable[[Candidate], bool] = lambda c: True
    ) -> Candidate | None:
        used = self._used[kind]

        def usable(c: Candidate) -> bool:
            return c.personal_id not in self._gone and c.personal_id not in used and fits(c)

        candidate = await self._pools.take(pool, usable)
        if candidate is not None:
            used.add(candidate.personal_id)
        return candidate

    def _free(self, personal_id: str | None) -> bool:
        """Alive, same ID and same marital status as when sampled, as far as this run knows."""
        return (
            personal_id is not None
            and personal_id not in self._gone
            and personal_id not in self._status_changed
        )

    # Operations -------------------------------------------------------------------------

    async def _birth(
        self, rng: random.Random, npr: np.random.Generator, today: date
    ) -> Plan | None:
        married = rng.random() < POOL_USE["birth"]["wives"]
        mother = await self._take(
            "wives" if married else "unwed_mothers",
            "birth",
            lambda c: (
                c.personal_id[:3] in PROVINCES
                and self._free(c.personal_id)
                and (not married or self._free(c.spouse_personal_id))
            ),
        )
        if mother is None:
            return None
        father = mother.spouse_personal_id if married else None
        born = today - timedelta(days=rng.randint(0, 1))
        sex = "male" if rng.random() < BOYS_PER_GIRL / (1 + BOYS_PER_GIRL) else "female"
        province = mother.personal_id[:3]
        # A child takes the father's family name, or the mother's (Civil Code 2015, Art. 26).
        parent = mother.spouse_full_name if father and rng.random() < 0.97 else mother.full_name
        surname = (parent or mother.full_name).split()[0]
        place = _weighted(rng, BIRTH_PLACES).format(province=PROVINCES[province])
        body = {
            "full_name": f"{surname} {_given_names(npr, sex, born.year)}",
            "sex": sex,
            "birth_date": born.isoformat(),
            "place_of_birth": place,
            "birth_registration_province": province,
            "mother_personal_id": mother.personal_id,
            "father_personal_id": father,
        }
        return Plan("birth", body)

    async def _death(
        self, rng: random.Random, npr: np.random.Generator, today: date
    ) -> Plan | None:
        pool = "elderly" if rng.random() < POOL_USE["death"]["elderly"] else "anyone"
        deceased = await self._take(pool, "death")
        if deceased is None:
            return None

        def recorded() -> None:
            self._gone.add(deceased.personal_id)
            if deceased.spouse_personal_id:
                self._status_changed.add(deceased.spouse_personal_id)  # now widowed

        body = {
            "personal_id": deceased.personal_id,
            "death_date": today.isoformat(),
            "place_of_death": rng.choice(DEATH_PLACES),
        }
        return Plan("death", body, recorded)

    async def _move(self, rng: random.Random, npr: np.random.Generator, today: date) -> Plan | None:
        mover = await self._take("anyone", "residence_change")
        if mover is None:
            return None
        # Half the moves stay in the province; the others go where migrants go.
        if rng.random() < 0.5:
            ward = int(wards().draw_in(npr, np.array([_province_index(mover.personal_id)]))[0])
        else:
            ward = int(draw_migration_wards(npr, 1)[0])
        body = {
            "personal_id": mover.personal_id,
            "kind": _weighted(rng, RESIDENCE_KINDS),
            "street": street_parts(npr, np.array([ward]))[0],
            "legacy_ward_code": str(wards().legacy_codes[ward]),
            "moved_on": today.isoformat(),
        }
        return Plan("residence_change", body)

    async def _marriage(
        self, rng: random.Random, npr: np.random.Generator, today: date
    ) -> Plan | None:
        groom = await self._take("grooms", "marriage", lambda c: self._free(c.personal_id))
        if groom is None:
            return None
        bride = await self._take("brides", "marriage", lambda c: self._free(c.personal_id))
        if bride is None:
            return None
        couple = [groom.personal_id, bride.personal_id]
        body = {"spouses": couple, "married_on": today.isoformat()}
        return Plan("marriage", body, lambda: self._status_changed.update(couple))

    async def _divorce(
        self, rng: random.Random, npr: np.random.Generator, today: date
    ) -> Plan | None:
        husband = await self._take(
            "husbands",
            "divorce",
            lambda c: self._free(c.personal_id) and self._free(c.spouse_personal_id),
        )
        if husband is None or husband.spouse_personal_id is None:
            return None
        couple = [husband.personal_id, husband.spouse_personal_id]
        body = {"spouses": couple, "divorced_on": today.isoformat()}
        return Plan("divorce", body, lambda: self._status_changed.update(couple))

    async def _rename(
        self, rng: random.Random, npr: np.random.Generator, today: date
    ) -> Plan | None:
        subject = await self._take("anyone", "name_change")
        if subject is None:
            return None
        # Most changes are of the given name: the family name stays.
        surname = subject.full_name.split()[0]
        body = {
            "personal_id": subject.personal_id,
            "full_name": f"{surname} {_given_names(npr, subject.sex, subject.birth_date.year)}",
            "changed_on": today.isoformat(),
            "reason": rng.choice(NAME_REASONS),
        }
        return Plan("name_change", body)

    async def _card(self, rng: random.Random, npr: np.random.Generator, today: date) -> Plan | None:
        holder = await self._take("card_holders", "card_reissue")
        if holder is None:
            return None
        body = {
            "personal_id": holder.personal_id,
            "reason": _weighted(rng, CARD_REASONS),
            "issued_on": today.isoformat(),
        }
        return Plan("card_reissue", body)

    async def _id_correction(
        self, rng: random.Random, npr: np.random.Generator, today: date
    ) -> Plan | None:
        subject = await self._take("adults", "id_correction")
        if subject is None:
            return None
        corrected = _years_from(subject.birth_date, rng.choice((-1, 1)))
        if corrected > today:
            corrected = _years_from(subject.birth_date, -1)
        body = {
            "personal_id": subject.personal_id,
            "reason": "wrong_birth_year",
            "birth_date": corrected.isoformat(),
            "corrected_on": today.isoformat(),
        }
        return Plan("id_correction", body, lambda: self._gone.add(subject.personal_id))
