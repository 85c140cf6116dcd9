"""Who may ask what: the 4xx answers of the statistics endpoint, each with its code."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.config import Mode, Settings
from app.main import create_app
from tests.statistics.conftest import ADMIN, Town, planner

pytestmark = pytest.mark.anyio
URL = "/v1/statistics/population"


async def _problem(
    client: httpx.AsyncClient, params: dict[str, Any], headers: dict[str, str], status: int
) -> dict[str, Any]:
    response = await client.get(URL, params=params, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    return problem


async def test_credentials_are_needed(stats_client: httpx.AsyncClient) -> None:
    problem = await _problem(stats_client, {"group_by": "sex"}, {}, 401)
    assert problem["code"] == "UNAUTHENTICATED"


async def test_a_purpose_is_needed(stats_client: httpx.AsyncClient, town: Town) -> None:
    headers = {"X-API-Key": town.keys["planning-ministry-demo"]}
    problem = await _problem(stats_client, {"group_by": "sex"}, headers, 400)
    assert problem["code"] == "PURPOSE_REQUIRED"


async def test_a_purpose_without_the_statistics_operation_is_refused(
    stats_client: httpx.AsyncClient, town: Town
) -> None:
    bank = {"X-API-Key": town.keys["phusa-bank"], "X-Purpose": "kyc_onboarding"}
    problem = await _problem(stats_client, {"group_by": "sex"}, bank, 403)
    assert problem["code"] == "OPERATION_NOT_ALLOWED"


@pytest.mark.parametrize(
    ("params", "missing"),
    [
        ({"group_by": "ethnicity"}, ["ethnicity"]),
        ({"group_by": "sex", "marital_status": "married"}, ["marital_status"]),
        ({"group_by": "sex", "vital_status": "deceased"}, ["vital_status"]),
        ({"group_by": "vneid_level,ethnicity"}, ["ethnicity", "vneid_level"]),
    ],
)
async def test_dimensions_need_the_purposes_fields(
    stats_client: httpx.AsyncClient, town: Town, params: dict[str, Any], missing: list[str]
) -> None:
    headers = planner(town, "labour_force_planning")
    problem = await _problem(stats_client, params, headers, 403)
    assert problem["code"] == "DIMENSION_NOT_ALLOWED"
    assert problem["missing_fields"] == missing


async def test_the_labour_purpose_may_use_its_own_dimensions(
    stats_client: httpx.AsyncClient, town: Town
) -> None:
    params = {"group_by": "province,sex,age_band", "age_min": 15, "age_max": 64}
    response = await stats_client.get(
        URL, params=params, headers=planner(town, "labour_force_planning")
    )
    assert response.status_code == 200, response.text


async def test_only_the_admin_token_may_turn_disclosure_control_off(
    stats_client: httpx.AsyncClient, town: Town
) -> None:
    params = {"group_by": "sex", "disclosure_control": "off"}
    problem = await _problem(stats_client, params, planner(town), 403)
    assert problem["code"] == "DISCLOSURE_CONTROL_REQUIRED"
    other = await _problem(
        stats_client, params, {"Authorization": "Bearer not-the-admin-token"}, 401
    )
    assert other["code"] == "INVALID_CREDENTIALS"
    response = await stats_client.get(URL, params=params, headers=ADMIN)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"group_by": "height"}, "INVALID_GROUP_BY"),
        ({"group_by": "sex,sex"}, "INVALID_GROUP_BY"),
        ({"group_by": ""}, "INVALID_GROUP_BY"),
        ({"group_by": "sex,age_band,ethnicity,marital_status"}, "TOO_MANY_DIMENSIONS"),
        ({"group_by": "ward"}, "TOO_MANY_CELLS"),
        ({"group_by": "ward,age_band", "province_2025": "01", "age_bands": "5"}, "TOO_MANY_CELLS"),
        ({"group_by": "sex", "province": "003"}, "INVALID_FILTER"),
        ({"group_by": "sex", "ward": "99999"}, "INVALID_FILTER"),
        ({"group_by": "sex", "sex": "other"}, "INVALID_FILTER"),
        ({"group_by": "sex", "vneid_level": "3"}, "INVALID_FILTER"),
        ({"group_by": "sex", "marital_status": ","}, "INVALID_FILTER"),
        ({"group_by": "sex", "age_min": 18}, "INVALID_AGE_RANGE"),
        ({"group_by": "sex", "age_max": 60}, "INVALID_AGE_RANGE"),
        ({"group_by": "sex", "age_min": 65, "age_max": 14}, "INVALID_AGE_RANGE"),
        ({"group_by": "sex", "as_of": "1800-01-01"}, "INVALID_AS_OF"),
        ({"group_by": "sex", "k": 5}, "K_BELOW_MINIMUM"),
        ({"group_by": "sex", "k": 2}, "VALIDATION_FAILED"),
        ({"group_by": "sex", "rounding_base": "7"}, "VALIDATION_FAILED"),
        ({"group_by": "sex", "age_bands": "7"}, "VALIDATION_FAILED"),
        ({}, "VALIDATION_FAILED"),
    ],
)
async def test_invalid_queries_say_what_is_wrong(
    stats_client: httpx.AsyncClient, town: Town, params: dict[str, Any], code: str
) -> None:
    problem = await _problem(stats_client, params, planner(town), 422)
    assert problem["code"] == code


async def test_the_admin_demonstration_may_use_single_years(
    stats_client: httpx.AsyncClient,
) -> None:
    params = {"group_by": "sex", "age_min": 18, "age_max": 18, "disclosure_control": "off"}
    response = await stats_client.get(URL, params=params, headers=ADMIN)
    assert response.status_code == 200, response.text


async def test_hardened_mode_never_gives_exact_counts(town: Town) -> None:
    settings = Settings(
        database_url=town.url,
        mode=Mode.HARDENED,
        admin_token="a-real-admin-secret-for-this-test",
        access_log=False,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as client:
            admin = {"Authorization": "Bearer a-real-admin-secret-for-this-test"}
            params = {"group_by": "sex", "disclosure_control": "off"}
            problem = await _problem(client, params, admin, 403)
            assert problem["code"] == "DISCLOSURE_CONTROL_REQUIRED"
            protected = await client.get(URL, params={"group_by": "sex"}, headers=admin)
            assert protected.status_code == 200
    finally:
        app.state.database.dispose()
