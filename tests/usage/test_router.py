"""`GET /v1/agencies/me/usage` over the known audit log of ``usage_log``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from app.usage.router import router as usage_router
from tests.usage.conftest import UsageLog

pytestmark = pytest.mark.anyio
USAGE = "/v1/agencies/me/usage"


def _app(url: str) -> FastAPI:
    app = create_app(Settings(database_url=url, access_log=False))
    if not any(getattr(route, "path", None) == USAGE for route in app.routes):
        app.include_router(usage_router)  # until app/main.py includes it
    return app


@pytest.fixture
async def http(usage_log: UsageLog) -> AsyncIterator[httpx.AsyncClient]:
    app = _app(usage_log.url)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as client:
        yield client
    app.state.database.dispose()


def _as(usage_log: UsageLog, agency: str) -> dict[str, str]:
    return {"X-API-Key": usage_log.keys[agency]}


async def test_a_month_of_verifications_and_its_fee(
    http: httpx.AsyncClient, usage_log: UsageLog
) -> None:
    response = await http.get(
        USAGE, params={"month": "2026-10"}, headers=_as(usage_log, "saomai-telecom")
    )
    assert response.status_code == 200
    assert response.json() == {
        "agency_code": "saomai-telecom",
        "month": "2026-10",
        "operations": [
            {"operation": "verify", "verifications": 2, "fields_checked": 6, "fee_vnd": 6000},
            {
                "operation": "batch_verify",
                "verifications": 4,
                "fields_checked": 11,
                "fee_vnd": 11000,
            },
            {"operation": "clean", "verifications": 4, "fields_checked": 15, "fee_vnd": 15000},
        ],
        "verifications": 10,
        "fields_checked": 32,
        "fee_vnd": 32000,
        "fee_per_field_vnd": 1000,
        "currency": "VND",
        "fee_basis": "Circular 48/2022/TT-BTC",
    }


async def test_an_agency_sees_only_its_own_usage(
    http: httpx.AsyncClient, usage_log: UsageLog
) -> None:
    response = await http.get(
        USAGE, params={"month": "2026-10"}, headers=_as(usage_log, "phusa-bank")
    )
    body = response.json()
    assert body["agency_code"] == "phusa-bank"
    assert (body["verifications"], body["fields_checked"], body["fee_vnd"]) == (1, 4, 4000)
    assert body["operations"][1] == {
        "operation": "batch_verify",
        "verifications": 0,
        "fields_checked": 0,
        "fee_vnd": 0,
    }


@pytest.mark.parametrize(("month", "fields"), [("2026-09", 2), ("2026-12", 2), ("2027-01", 2)])
async def test_month_boundaries(
    http: httpx.AsyncClient, usage_log: UsageLog, month: str, fields: int
) -> None:
    response = await http.get(
        USAGE, params={"month": month}, headers=_as(usage_log, "saomai-telecom")
    )
    assert response.json()["fields_checked"] == fields


async def test_a_month_without_calls_costs_nothing(
    http: httpx.AsyncClient, usage_log: UsageLog
) -> None:
    response = await http.get(
        USAGE, params={"month": "2025-10"}, headers=_as(usage_log, "saomai-telecom")
    )
    body = response.json()
    assert (body["verifications"], body["fields_checked"], body["fee_vnd"]) == (0, 0, 0)


async def test_the_default_is_the_current_month(
    http: httpx.AsyncClient, usage_log: UsageLog
) -> None:
    headers = _as(usage_log, "saomai-telecom")
    current = datetime.now(UTC).strftime("%Y-%m")
    default = await http.get(USAGE, headers=headers)
    explicit = await http.get(USAGE, params={"month": current}, headers=headers)
    assert default.status_code == 200
    assert default.json()["month"] == current
    assert default.json() == explicit.json()


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "last-month"])
async def test_an_invalid_month_is_a_clear_422(
    http: httpx.AsyncClient, usage_log: UsageLog, month: str
) -> None:
    response = await http.get(
        USAGE, params={"month": month}, headers=_as(usage_log, "saomai-telecom")
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "INVALID_MONTH"
    assert "YYYY-MM" in body["detail"]


async def test_usage_needs_credentials(http: httpx.AsyncClient) -> None:
    response = await http.get(USAGE)
    assert response.status_code == 401
