"""Every statistics query is audited as aggregate access, and no citizen's log shows it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.config import Settings
from app.db import build_engine
from app.models import AuditEvent
from tests.statistics.conftest import ADMIN, AS_OF, Town, planner

pytestmark = pytest.mark.anyio
URL = "/v1/statistics/population"


def _audit_rows(town: Town, request_id: str) -> list[dict[str, Any]]:
    engine = build_engine(Settings(database_url=town.url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(AuditEvent).where(AuditEvent.request_id == request_id)
            ).all()
    finally:
        engine.dispose()
    return [dict(row._mapping) for row in rows]


def _statistics_with_a_subject(town: Town) -> int:
    engine = build_engine(Settings(database_url=town.url))
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(
                        AuditEvent.operation == "statistics", AuditEvent.personal_id.is_not(None)
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


async def test_a_query_is_audited_as_aggregate_access(
    stats_client: httpx.AsyncClient, town: Town
) -> None:
    params = {
        "group_by": "province,sex",
        "marital_status": "widowed",
        "age_min": 60,
        "as_of": AS_OF.isoformat(),
    }
    headers = {**planner(town), "X-Request-ID": "stats-audit-1"}
    response = await stats_client.get(URL, params=params, headers=headers)
    assert response.status_code == 200
    control = response.json()["disclosure_control"]
    [record] = _audit_rows(town, "stats-audit-1")
    assert record["operation"] == "statistics"
    assert record["outcome"] == "aggregate"
    assert record["agency_code"] == "planning-ministry-demo"
    assert record["purpose"] == "population_planning"
    assert record["personal_id"] is None
    assert record["fields"] == ["birth_date", "marital_status", "permanent_address", "sex"]
    detail = record["detail"]
    assert detail["group_by"] == ["province", "sex"]
    assert detail["filters"] == {"marital_status": ["widowed"], "age_min": 60}
    assert detail["as_of"] == AS_OF.isoformat()
    assert detail["cells"] == 64 * 2
    assert detail["disclosure_control"] == "on"
    assert detail["k"] == 10
    assert detail["rounding_base"] == 5
    assert detail["suppressed"] == {
        "primary": control["primary"],
        "secondary": control["secondary"],
    }
    assert detail["credential"] == "api_key"


async def test_the_exact_demonstration_is_audited_too(
    stats_client: httpx.AsyncClient, town: Town
) -> None:
    params = {"group_by": "sex", "disclosure_control": "off"}
    response = await stats_client.get(
        URL, params=params, headers={**ADMIN, "X-Request-ID": "stats-audit-2"}
    )
    assert response.status_code == 200
    [record] = _audit_rows(town, "stats-audit-2")
    assert record["agency_code"] == "popreg-admin"
    assert record["purpose"] == "registry_administration"
    assert record["outcome"] == "aggregate"
    assert record["detail"]["disclosure_control"] == "off"
    assert record["detail"]["credential"] == "admin_token"
    assert "suppressed" not in record["detail"]


async def test_a_refused_query_is_audited_as_a_refusal(
    stats_client: httpx.AsyncClient, town: Town
) -> None:
    headers = {**planner(town, "labour_force_planning"), "X-Request-ID": "stats-audit-3"}
    response = await stats_client.get(URL, params={"group_by": "ethnicity"}, headers=headers)
    assert response.status_code == 403
    [record] = _audit_rows(town, "stats-audit-3")
    assert record["operation"] == "statistics"
    assert record["outcome"] == "denied"
    assert record["code"] == "DIMENSION_NOT_ALLOWED"
    assert record["personal_id"] is None


async def test_nothing_shows_in_a_citizens_access_log(
    stats_client: httpx.AsyncClient, town: Town
) -> None:
    # The oldest living citizen of the town: alone in the top age band of any small table.
    person = min(
        (p for p in town.people if not p.dead and not p.missing), key=lambda p: p.birth_date
    )
    for params in (
        {"group_by": "ward,sex", "ward": person.legacy_ward, "disclosure_control": "off"},
        {"group_by": "age_band,sex", "ward": person.legacy_ward, "disclosure_control": "off"},
    ):
        assert (await stats_client.get(URL, params=params, headers=ADMIN)).status_code == 200
    params = {"group_by": "age_band,sex", "ward": person.legacy_ward}
    assert (await stats_client.get(URL, params=params, headers=planner(town))).status_code == 200

    login = await stats_client.post(
        "/v1/citizen/login", json={"personal_id": person.personal_id, "code": "123456"}
    )
    assert login.status_code == 200, login.text
    token = {"Authorization": f"Bearer {login.json()['access_token']}"}
    log = await stats_client.get("/v1/me/access-log", headers=token)
    assert log.status_code == 200
    assert all(r["operation"] != "statistics" for r in log.json()["records"])
    assert _statistics_with_a_subject(town) == 0
