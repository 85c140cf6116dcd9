"""A seeded town per backend, and the expected counts worked out in Python, not SQL.

The rows are committed (statistics read through their own connections), so they live
in a database of their own, built once per test module.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.agencies.demo import ensure_demo_agencies
from app.config import Settings
from app.db import build_engine
from app.main import create_app
from app.models import Citizen
from app.schema import upgrade
from app.statistics.dimensions import ETHNIC_GROUPS  # the vocabulary, not its SQL
from seed import populate
from tests.conftest import BACKENDS, empty_database_url

AS_OF = date(2026, 11, 22)
PLANNER = "planning-ministry-demo"
WARDS = Path(__file__).resolve().parents[2] / "seed" / "data" / "wards.csv"


@dataclass(frozen=True)
class Person:
    personal_id: str
    birth_date: date
    sex: str
    ethnicity: str
    marital_status: str
    vneid_level: int
    legacy_ward: str | None
    ward_2025: str | None
    dead: bool
    missing: bool


@dataclass(frozen=True)
class Town:
    url: str
    keys: dict[str, str]
    people: list[Person]


def _load_people(url: str) -> list[Person]:
    engine = build_engine(Settings(database_url=url))
    try:
        with Session(engine) as session:
            return [
                Person(
                    personal_id=c.personal_id,
                    birth_date=c.birth_date,
                    sex=c.sex.value,
                    ethnicity=c.ethnicity,
                    marital_status=c.marital_status.value,
                    vneid_level=c.vneid_level,
                    legacy_ward=c.permanent_legacy_ward_code,
                    ward_2025=c.permanent_ward_code,
                    dead=c.death_date is not None,
                    missing=c.death_date is None and c.disappearance_date is not None,
                )
                for c in session.scalars(select(Citizen))
            ]
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def town(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Town:
    url = empty_database_url(request.param, tmp_path_factory.mktemp("statistics"), request)
    upgrade(url)
    engine = build_engine(Settings(database_url=url))
    try:
        populate(engine, citizens=2500, seed=17, helpers=0)
        with Session(engine) as session, session.begin():
            keys = {spec.code: key for spec, key in ensure_demo_agencies(session)}
    finally:
        engine.dispose()
    return Town(url=url, keys=keys, people=_load_people(url))


@pytest.fixture
async def stats_client(town: Town) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(database_url=town.url, access_log=False, log_format="console"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as client:
        yield client
    app.state.database.dispose()


def planner(town: Town, purpose: str = "population_planning") -> dict[str, str]:
    return {"X-API-Key": town.keys[PLANNER], "X-Purpose": purpose}


ADMIN = {"Authorization": "Bearer sandbox-admin-token"}


# The expected side: ages, bands, provinces and ethnic groups worked out from the rows.


def _reference() -> tuple[dict[str, str], dict[str, str]]:
    legacy, new = {}, {}
    with WARDS.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            legacy[row["legacy_ward_code"]] = row["legacy_province_code"]
            new[row["ward_code"]] = row["province_code"]
    return legacy, new


LEGACY_PROVINCE, PROVINCE_2025 = _reference()


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_band(age: int, bands: str) -> str:
    lowers = {"5": list(range(0, 95, 5)), "10": list(range(0, 100, 10)), "broad": [0, 15, 25, 65]}
    bounds = lowers[bands]
    lower = max(b for b in bounds if b <= age)
    if lower == bounds[-1]:
        return f"{lower}+"
    return f"{lower}-{bounds[bounds.index(lower) + 1] - 1}"


def value_of(person: Person, dimension: str, *, as_of: date, bands: str) -> str:
    if dimension == "province":
        return LEGACY_PROVINCE.get(person.legacy_ward or "", "unknown")
    if dimension == "province_2025":
        return PROVINCE_2025.get(person.ward_2025 or "", "unknown")
    if dimension == "ward":
        return person.legacy_ward or "unknown"
    if dimension == "ward_2025":
        return person.ward_2025 or "unknown"
    if dimension == "age_band":
        return age_band(age_on(person.birth_date, as_of), bands)
    if dimension == "ethnicity":
        return person.ethnicity if person.ethnicity in ETHNIC_GROUPS else "other"
    if dimension == "vneid_level":
        return str(person.vneid_level)
    return str(getattr(person, dimension))


def expected_counts(
    people: Iterable[Person],
    group_by: list[str],
    *,
    as_of: date = AS_OF,
    bands: str = "10",
    filters: Mapping[str, Iterable[str]] | None = None,
    age_min: int | None = None,
    age_max: int | None = None,
    vital_status: str = "alive",
) -> Counter[tuple[str, ...]]:
    """Citizens per combination of codes, margins included (``total`` where summed over)."""
    counts: Counter[tuple[str, ...]] = Counter()
    wanted = {name: set(codes) for name, codes in (filters or {}).items()}
    for person in people:
        if person.birth_date > as_of:
            continue
        status = "deceased" if person.dead else "missing" if person.missing else "alive"
        if vital_status != "any" and status != vital_status:
            continue
        age = age_on(person.birth_date, as_of)
        if (age_min is not None and age < age_min) or (age_max is not None and age > age_max):
            continue
        if any(
            value_of(person, name, as_of=as_of, bands=bands) not in codes
            for name, codes in wanted.items()
        ):
            continue
        key = [value_of(person, name, as_of=as_of, bands=bands) for name in group_by]
        for mask in range(2 ** len(key)):
            counts[tuple("total" if mask >> i & 1 else code for i, code in enumerate(key))] += 1
    return counts


def rows_of(document: dict[str, Any]) -> dict[tuple[str, ...], dict[str, Any]]:
    """Every cell, margin and the total of a JSON answer, keyed by their codes."""
    names = document["group_by"]
    rows = {}
    for row in [*document["cells"], *document["margins"]]:
        rows[tuple(row[name] for name in names)] = row
    rows[tuple("total" for _ in names)] = document["total"]
    return rows
