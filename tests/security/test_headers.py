"""Security headers on the dashboard and the API, and CORS closed unless origins are set.

tests/dashboard/test_pages.py checks the headers of each page as it renders; here:
the personal pages (the tracker with an ID) are not cached, the login page and
errors carry them too, every API answer says ``nosniff`` and API answers are not
stored, and a foreign origin gets no ``Access-Control-Allow-*`` header.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from app.config import DashboardAccess
from tests.conftest import Registry
from tests.security.conftest import client_of

pytestmark = pytest.mark.anyio

FOREIGN = "https://evil.example"
ALLOWED = "https://portal.example.vn"


def assert_dashboard_headers(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


async def test_the_tracker_of_a_person_is_neither_framed_nor_cached(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    response = await client.get("/dashboard/tracker", params={"personal_id": registry.head})
    assert response.status_code == 200
    assert_dashboard_headers(response)


async def test_the_login_page_carries_the_headers_too(
    make_app: Callable[..., FastAPI],
) -> None:
    application = make_app(dashboard=DashboardAccess.ADMIN)
    async with client_of(application) as client:
        page = await client.get("/")
        assert page.status_code == 401
        assert_dashboard_headers(page)
        wrong = await client.post("/dashboard/login", data={"token": "guess"})
        assert wrong.status_code == 403
        assert_dashboard_headers(wrong)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/citizens/{head}"),  # the fast path
        ("GET", "/v1/citizens/000000000000"),  # refused on the fast path
        ("GET", "/v1/agencies/me"),
        ("GET", "/v1/audit/events"),
        ("POST", "/oauth/token"),
        ("GET", "/v1/no-such-endpoint"),
    ],
)
async def test_api_answers_are_nosniff_and_not_stored(
    client: httpx.AsyncClient, registry: Registry, method: str, path: str
) -> None:
    headers = {"X-API-Key": registry.keys["honglinh-hospital"], "X-Purpose": "patient_checkin"}
    response = await client.request(method, path.format(head=registry.head), headers=headers)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


async def test_public_documents_are_nosniff(client: httpx.AsyncClient) -> None:
    for path in ["/openapi.json", "/.well-known/jwks.json", "/healthz"]:
        response = await client.get(path)
        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff", path


async def preflight(client: httpx.AsyncClient, origin: str) -> httpx.Response:
    return await client.options(
        "/v1/agencies/me",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-api-key",
        },
    )


def cors_headers(response: httpx.Response) -> list[str]:
    return [name for name in response.headers if name.lower().startswith("access-control-")]


async def test_cors_is_closed_by_default(client: httpx.AsyncClient, registry: Registry) -> None:
    for origin in [FOREIGN, ALLOWED, "null"]:
        refused = await preflight(client, origin)
        assert refused.status_code >= 400
        assert cors_headers(refused) == []
        simple = await client.get(
            "/v1/agencies/me",
            headers={"Origin": origin, "X-API-Key": registry.keys["phusa-bank"]},
        )
        assert simple.status_code == 200
        assert cors_headers(simple) == []


async def test_cors_opens_only_to_the_configured_origins(
    make_app: Callable[..., FastAPI], registry: Registry
) -> None:
    application = make_app(cors_origins=[ALLOWED])
    async with client_of(application) as client:
        allowed = await preflight(client, ALLOWED)
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == ALLOWED
        assert "x-api-key" in allowed.headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in allowed.headers
        foreign = await preflight(client, FOREIGN)
        assert foreign.status_code == 400
        assert "access-control-allow-origin" not in foreign.headers
        key = {"X-API-Key": registry.keys["phusa-bank"]}
        simple = await client.get("/v1/agencies/me", headers={"Origin": ALLOWED, **key})
        assert simple.headers["access-control-allow-origin"] == ALLOWED
        assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()
        other = await client.get("/v1/agencies/me", headers={"Origin": FOREIGN, **key})
        # (Starlette lists the exposed headers to any origin; without an allowed origin
        # the browser withholds the answer all the same.)
        assert [h for h in cors_headers(other) if h.startswith("access-control-allow-")] == []
