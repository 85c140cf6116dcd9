"""A town of citizens of Lai Châu for extract tests, a worker drain and request helpers.

No other test registers residents in Lai Châu (legacy province 012, 2025 province
12), so cohorts filtered to its wards hold only this town's citizens. The town is
committed once per database and kept for the session; tests must not change it.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from app.agencies.keys import generate_api_key
from app.agencies.schemas import AgencyCreate, PurposeWrite
from app.agencies.service import create_agency
from app.config import Settings
from app.db import build_engine
from app.extracts.worker import ExtractWorker
from app.models import Citizen, MaritalStatus, Sector, Sex
from app.models.enums import CitizenField as F
from app.models.enums import Operation as Op
from app.schema import upgrade
from tests.conftest import BACKENDS, Registry, build_registry, empty_database_url

REFERENCE = date(2026, 11, 22)
# Two pre-2025 wards of Lai Châu city merged into the 2025 ward Đoàn Kết (03388).
WARD = "03388"
LEGACY_WARDS = ("03386", "03388")  # Quyết Thắng, Quyết Tiến
OTHER_WARD, OTHER_LEGACY_WARD = "03408", "03408"  # Tân Phong; before 2025 Đông Phong
BULK_WARD, BULK_LEGACY_WARD = "03439", "03439"  # Thu Lũm (Ka Lăng): the larger cohort
BULK = 3000
AGENCY, PURPOSE = "social-protection-demo", "social_pension"
POLICY_FIELDS = [
    "personal_id",
    "full_name",
    "birth_date",
    "sex",
    "permanent_address",
    "current_address",
    "vital_status",
]
_SERIALS = itertools.count(random.randrange(100_000, 800_000))


@dataclass
class Town:
    """Citizens by name of what makes them interesting; the bulk cohort's IDs."""

    people: dict[str, str] = field(default_factory=dict)
    bulk: list[str] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  # test agency → API key


def _citizen(
    name: str,
    born: date,
    sex: Sex = Sex.FEMALE,
    *,
    legacy_ward: str | None,
    ward: str,
    **extra: Any,
) -> dict[str, Any]:
    digit = (born.year // 100 - 19) * 2 + (sex is Sex.FEMALE)
    personal_id = f"012{digit}{born.year % 100:02d}{next(_SERIALS):06d}"
    address = f"Số 3 đường Trần Phú, {name}, Tỉnh Lai Châu"
    return {
        "personal_id": personal_id,
        "full_name": name,
        "birth_date": born,
        "sex": sex,
        "place_of_birth": "Tỉnh Lai Châu",
        "birth_registration_province_code": "012",
        "ethnicity": "Thái",
        "permanent_address": address,
        "permanent_address_2025": address,
        "permanent_legacy_ward_code": legacy_ward,
        "permanent_ward_code": ward,
        "current_address": address,
        "current_address_2025": address,
        "current_legacy_ward_code": legacy_ward,
        "current_ward_code": ward,
        # One set of keys for every row: an executemany insert takes the first row's.
        "marital_status": MaritalStatus.SINGLE,
        "death_date": None,
        "disappearance_date": None,
        **extra,
    }


def build_town(engine: Engine) -> Town:
    here = {"legacy_ward": LEGACY_WARDS[0], "ward": WARD}
    people = {
        "turns_75_today": _citizen("Lò Thị Một", date(1951, 11, 22), **here),
        "turns_75_tomorrow": _citizen("Lò Thị Hai", date(1951, 11, 23), **here),
        "turns_76_tomorrow": _citizen("Lò Văn Ba", date(1950, 11, 23), Sex.MALE, **here),
        "turns_76_today": _citizen("Lò Văn Bốn", date(1950, 11, 22), Sex.MALE, **here),
        "widow_80": _citizen(
            "Lường Thị Năm",
            date(1946, 5, 5),
            legacy_ward=LEGACY_WARDS[1],
            ward=WARD,
            marital_status=MaritalStatus.WIDOWED,
        ),
        "dead_85": _citizen(
            "Lò Văn Sáu", date(1941, 1, 1), Sex.MALE, **here, death_date=date(2025, 3, 1)
        ),
        "missing_90": _citizen(
            "Lò Văn Bảy", date(1936, 2, 2), Sex.MALE, **here, disappearance_date=date(2024, 8, 8)
        ),
        "leap_day_1948": _citizen("Tòng Thị Tám", date(1948, 2, 29), **here),
        "registered_in_2025_units": _citizen(
            "Tòng Văn Chín", date(1944, 7, 7), Sex.MALE, legacy_ward=None, ward=WARD
        ),
        "young_40": _citizen("Lò Thị Mười", date(1986, 4, 4), **here),
        "elsewhere_77": _citizen(
            "Lò Văn Mười Một",
            date(1949, 9, 9),
            Sex.MALE,
            legacy_ward=OTHER_LEGACY_WARD,
            ward=OTHER_WARD,
        ),
    }
    # Registered elsewhere, living here: found by residence=current only.
    lodger = _citizen(
        "Tòng Thị Mười Hai", date(1945, 3, 3), legacy_ward=OTHER_LEGACY_WARD, ward=OTHER_WARD
    )
    lodger.update(current_legacy_ward_code=LEGACY_WARDS[0], current_ward_code=WARD)
    people["lodger_81"] = lodger
    bulk = [
        _citizen(
            f"Người Số {n}",
            date(1930 + n % 60, 1 + n % 12, 1 + n % 28),
            Sex.MALE if n % 2 else Sex.FEMALE,
            legacy_ward=BULK_LEGACY_WARD,
            ward=BULK_WARD,
        )
        for n in range(BULK)
    ]
    town = Town(
        people={name: row["personal_id"] for name, row in people.items()},
        bulk=[row["personal_id"] for row in bulk],
    )
    with engine.begin() as connection:
        connection.execute(insert(Citizen), [*people.values(), *bulk])
    with Session(engine) as session, session.begin():
        for code, purposes in TEST_AGENCIES.items():
            key = generate_api_key()
            spec = AgencyCreate(
                code=code, name=f"{code} (test)", sector=Sector.LOCAL_GOVERNMENT, purposes=purposes
            )
            create_agency(session, spec, api_key=key)
            town.keys[code] = key.secret
    return town


# A purpose that one test narrows and revokes (and restores).
CHANGING = PurposeWrite(
    description="A list whose policy changes while it runs",
    operations=[Op.EXTRACT],
    fields=[F.PERSONAL_ID, F.FULL_NAME, F.SEX],
)
TEST_AGENCIES = {
    "extract-test-agency": {
        "by_consent": PurposeWrite(
            description="A list that rests on each citizen's consent",
            operations=[Op.EXTRACT],
            fields=[F.PERSONAL_ID, F.FULL_NAME],
            consent_required=True,
        ),
        "lookup_only": PurposeWrite(
            description="Single lookups, no lists", operations=[Op.LOOKUP], fields=[F.PERSONAL_ID]
        ),
        "changing": CHANGING,
        "names_only": PurposeWrite(
            description="A list of names and households",
            operations=[Op.EXTRACT],
            fields=[F.PERSONAL_ID, F.FULL_NAME, F.HOUSEHOLD, F.CARDS],
        ),
    }
}
_towns: dict[str, Town] = {}


# The town stays committed for the package, so the package has databases of its own:
# other packages count on the rows they see (explicit ids, random id windows).
@pytest.fixture(scope="package", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = empty_database_url(request.param, tmp_path_factory.mktemp("extracts"), request)
    upgrade(url)
    return url


@pytest.fixture(scope="package")
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, log_format="console", access_log=True)


@pytest.fixture(scope="package")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = build_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture(scope="package")
def registry(engine: Engine) -> Registry:
    return build_registry(engine)


@pytest.fixture
def town(engine: Engine, registry: Registry) -> Town:
    """The session's town in this database (built on first use; the demo agencies first)."""
    key = engine.url.render_as_string(hide_password=True)
    if key not in _towns:
        _towns[key] = build_town(engine)
    return _towns[key]


@pytest.fixture
def drain(app: FastAPI) -> Callable[[], int]:
    """Render every claimable chunk now (tests run no background workers); returns how many."""

    def run() -> int:
        worker = ExtractWorker(app.state.database)
        done = 0
        while worker.run_once():
            done += 1
        return done

    return run


def headers(
    registry: Registry, agency: str = AGENCY, purpose: str | None = PURPOSE
) -> dict[str, str]:
    result = {"X-API-Key": registry.keys[agency]}
    if purpose is not None:
        result["X-Purpose"] = purpose
    return result


async def start(client: httpx.AsyncClient, auth: dict[str, str], **cohort: Any) -> httpx.Response:
    cohort.setdefault("reference_date", REFERENCE.isoformat())
    return await client.post("/v1/extracts", json={"cohort": cohort}, headers=auth)
