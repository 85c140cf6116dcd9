"""GET /v1/sandbox/citizens/sample: random citizens for simulators, admin token only."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from app.models import MaritalStatus, Sex
from app.sandbox.service import years_before
from tests.conftest import Registry
from tests.factories import make_citizen

ADMIN = {"Authorization": "Bearer sandbox-admin-token"}
PATH = "/v1/sandbox/citizens/sample"
PROVINCE = "093"  # no other test's citizens are registered in Hậu Giang
_serials = itertools.count(1)


def today() -> date:
    return datetime.now(UTC).date()


@dataclass
class Town:
    """Citizens of PROVINCE added inside the test's rolled-back transaction."""

    session: Session

    def add(self, sex: Sex, born: date, **overrides: Any) -> str:
        digit = (born.year // 100 - 19) * 2 + (sex is Sex.FEMALE)
        personal_id = f"{PROVINCE}{digit}{born.year % 100:02d}{next(_serials):06d}"
        citizen = make_citizen(
            personal_id=personal_id,
            full_name=overrides.pop("full_name", "Lâm Văn Tài"),
            sex=sex,
            birth_date=born,
            birth_registration_province_code=PROVINCE,
            **overrides,
        )
        self.session.add(citizen)
        self.session.flush()
        return personal_id

    def aged(self, years: int, sex: Sex = Sex.MALE, **overrides: Any) -> str:
        return self.add(sex, years_before(today(), years) - timedelta(days=40), **overrides)

    def marry(self, husband: str, wife: str) -> None:
        from app.models import Citizen

        rows = {
            c.personal_id: c
            for c in self.session.query(Citizen).filter(Citizen.personal_id.in_([husband, wife]))
        }
        rows[husband].spouse_id, rows[wife].spouse_id = rows[wife].id, rows[husband].id
        self.session.flush()


@pytest.fixture
def town(db_session: Session) -> Town:
    return Town(db_session)


async def sample(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(PATH, params={"province": PROVINCE, **params}, headers=ADMIN)
    assert response.status_code == 200, response.text
    citizens: list[dict[str, Any]] = response.json()["citizens"]
    return citizens


def ids(citizens: list[dict[str, Any]]) -> set[str]:
    return {c["personal_id"] for c in citizens}


@pytest.mark.anyio
async def test_filters_by_sex_age_and_marital_status_and_returns_the_spouse(
    client: httpx.AsyncClient, town: Town
) -> None:
    husband = town.aged(34, full_name="Lâm Văn Tài", marital_status=MaritalStatus.MARRIED)
    wife = town.aged(
        30, Sex.FEMALE, full_name="Trịnh Thị Hồng", marital_status=MaritalStatus.MARRIED
    )
    town.marry(husband, wife)
    single_woman = town.aged(20, Sex.FEMALE)
    single_man = town.aged(25)
    widower = town.aged(81, marital_status=MaritalStatus.WIDOWED)
    girl = town.aged(10, Sex.FEMALE)

    mothers = await sample(client, sex="female", min_age=18, max_age=45)
    assert ids(mothers) == {wife, single_woman}

    married = await sample(client, marital_status="married")
    assert ids(married) == {husband, wife}
    by_id = {c["personal_id"]: c for c in married}
    assert by_id[wife]["spouse_personal_id"] == husband
    assert by_id[wife]["spouse_full_name"] == "Lâm Văn Tài"
    assert by_id[husband]["spouse_personal_id"] == wife
    assert by_id[wife] | {"spouse_personal_id": None} == {
        "personal_id": wife,
        "full_name": "Trịnh Thị Hồng",
        "sex": "female",
        "birth_date": (years_before(today(), 30) - timedelta(days=40)).isoformat(),
        "marital_status": "married",
        "spouse_personal_id": None,
        "spouse_full_name": "Lâm Văn Tài",
    }

    unmarried = await sample(client, marital_status=["single", "widowed"])
    assert ids(unmarried) == {single_woman, single_man, widower, girl}
    assert ids(await sample(client, sex="male", min_age=60)) == {widower}
    assert ids(await sample(client, max_age=17)) == {girl}


@pytest.mark.anyio
async def test_age_bounds_are_whole_years_today(client: httpx.AsyncClient, town: Town) -> None:
    turns_60_today = town.add(Sex.MALE, years_before(today(), 60))
    turns_60_tomorrow = town.add(Sex.MALE, years_before(today(), 60) + timedelta(days=1))
    turns_61_tomorrow = town.add(Sex.MALE, years_before(today(), 61) + timedelta(days=1))
    turned_61_today = town.add(Sex.MALE, years_before(today(), 61))

    assert ids(await sample(client, min_age=60, max_age=60)) == {
        turns_60_today,
        turns_61_tomorrow,
    }
    assert ids(await sample(client, min_age=61)) == {turned_61_today}
    assert ids(await sample(client, max_age=59)) == {turns_60_tomorrow}


@pytest.mark.anyio
async def test_alive_by_default_and_only_the_dead_or_missing_with_alive_false(
    client: httpx.AsyncClient, town: Town
) -> None:
    living = town.aged(50)
    dead = town.aged(70, death_date=date(2024, 2, 1))
    missing = town.aged(45, disappearance_date=date(2023, 6, 1))

    assert ids(await sample(client)) == {living}
    assert ids(await sample(client, alive="false")) == {dead, missing}


@pytest.mark.anyio
async def test_samples_are_random_draws_of_at_most_count_and_a_seed_repeats_one(
    client: httpx.AsyncClient, town: Town
) -> None:
    everyone = {town.aged(20 + i % 50, Sex.FEMALE if i % 2 else Sex.MALE) for i in range(150)}

    draws = [await sample(client, count=10, seed=seed) for seed in range(12)]
    assert all(len(draw) == len(ids(draw)) == 10 for draw in draws)
    assert all(ids(draw) <= everyone for draw in draws)
    # Not the first ten rows every time: twelve draws reach much of the town.
    assert len(set().union(*(ids(draw) for draw in draws))) > 60
    assert len({tuple(sorted(ids(draw))) for draw in draws}) == 12

    again = await sample(client, count=10, seed=3)
    assert [c["personal_id"] for c in again] == [c["personal_id"] for c in draws[3]]
    assert ids(await sample(client, count=500)) == everyone


@pytest.mark.anyio
async def test_a_province_with_fewer_matches_than_count_returns_them_all_once(
    client: httpx.AsyncClient, town: Town
) -> None:
    few = {town.aged(30), town.aged(31), town.aged(32)}
    citizens = await sample(client, count=50)
    assert len(citizens) == 3
    assert ids(citizens) == few


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def remember(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", remember)
    yield seen
    event.remove(engine, "before_cursor_execute", remember)


@pytest.mark.anyio
async def test_sampling_reads_id_windows_and_never_sorts_the_table_randomly(
    client: httpx.AsyncClient, town: Town, statements: list[str]
) -> None:
    for i in range(30):
        town.aged(20 + i)
    statements.clear()
    assert len(await sample(client, count=20, seed=1)) == 20
    reads = [s for s in statements if "FROM citizen" in s and "LIMIT" in s]
    assert reads
    for text in reads:
        assert "random" not in text.lower()
        assert "citizen.id >=" in text
        assert "citizen.id <" in text


@pytest.mark.anyio
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-the-admin-token"}],
    ids=["no-token", "wrong-token"],
)
async def test_the_admin_token_is_required(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get(PATH, headers=headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "ADMIN_REQUIRED"


@pytest.mark.anyio
async def test_an_agency_key_is_not_enough(client: httpx.AsyncClient, registry: Registry) -> None:
    key = registry.keys["civil-registry-demo"]
    response = await client.get(PATH, headers={"X-API-Key": key, "X-Purpose": "civil_status"})
    assert response.status_code == 403
    assert response.json()["code"] == "ADMIN_REQUIRED"


@pytest.mark.anyio
@pytest.mark.parametrize(
    "params",
    [
        {"count": 0},
        {"count": 501},
        {"min_age": -1},
        {"max_age": 131},
        {"sex": "other"},
        {"marital_status": "engaged"},
        {"province": "79"},
        {"seed": -1},
    ],
)
async def test_out_of_range_parameters_are_validation_problems(
    client: httpx.AsyncClient, params: dict[str, Any]
) -> None:
    response = await client.get(PATH, params=params, headers=ADMIN)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "VALIDATION_FAILED"
    assert problem["errors"][0]["field"].startswith(f"query.{next(iter(params))}")


@pytest.mark.anyio
async def test_count_bounds_are_inclusive(client: httpx.AsyncClient, town: Town) -> None:
    town.aged(40)
    assert len(await sample(client, count=1)) == 1
    assert len(await sample(client, count=500)) == 1


@pytest.mark.anyio
async def test_min_age_above_max_age_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.get(PATH, params={"min_age": 50, "max_age": 40}, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["code"] == "INVALID_AGE_RANGE"


@pytest.mark.anyio
async def test_the_endpoint_is_documented(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"][PATH]["get"]
    assert operation["tags"] == ["sandbox"]
    assert "Admin token only" in operation["description"]
    assert {"200", "403", "422"} <= set(operation["responses"])
    schema = document["components"]["schemas"]["CitizenSampleList"]
    assert schema["example"]["citizens"][0]["spouse_personal_id"]
