"""The workshop dashboard: pages, banner, security headers, live stream and access modes."""

import json

import httpx
import pytest

from app.config import DashboardAccess, Mode, Settings
from app.main import create_app
from tests.conftest import Registry

pytestmark = pytest.mark.anyio

PAGES = ["/", "/dashboard/policy", "/dashboard/tracker", "/dashboard/sandbox"]
BANNER = "Sandbox — synthetic data"
HOSPITAL = "honglinh-hospital"


def assert_secure(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_renders_with_banner_and_security_headers(
    client: httpx.AsyncClient, registry: Registry, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert BANNER in response.text
    assert_secure(response)
    assert "<script>" not in response.text  # JavaScript only from static files (CSP)


async def test_static_files_are_served_and_others_are_not(client: httpx.AsyncClient) -> None:
    script = await client.get("/dashboard/static/dashboard.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert (await client.get("/dashboard/static/..%2Fservice.py")).status_code == 404


async def test_policy_matrix_lists_the_demo_agencies(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    text = (await client.get("/dashboard/policy")).text
    for code in registry.keys:
        assert code in text
    assert "patient_checkin" in text


async def test_tracker_shows_an_access_made_now_and_audits_the_view(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    lookup = await client.get(
        f"/v1/citizens/{registry.spouse}",
        headers={"X-API-Key": registry.keys[HOSPITAL], "X-Purpose": "patient_checkin"},
    )
    assert lookup.status_code == 200, lookup.text
    page = await client.get("/dashboard/tracker", params={"personal_id": registry.spouse})
    assert page.status_code == 200
    assert "patient_checkin" in page.text or "read your" in page.text
    again = await client.get("/dashboard/tracker", params={"personal_id": registry.spouse})
    assert "dashboard_view" in again.text  # the first view is itself in the log


async def test_tracker_refuses_a_malformed_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/dashboard/tracker", params={"personal_id": "12<script>"})
    assert response.status_code == 422


async def test_stream_yields_counters(client: httpx.AsyncClient, registry: Registry) -> None:
    await client.get(
        f"/v1/citizens/{registry.head}",
        headers={"X-API-Key": registry.keys[HOSPITAL], "X-Purpose": "patient_checkin"},
    )
    response = await client.get(
        "/dashboard/stream", params={"events": 2, "interval": 0.05}, timeout=10
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert_secure(response)
    lines = [line for line in response.text.splitlines() if line.startswith("data: ")]
    assert len(lines) == 2
    tick = json.loads(lines[0][len("data: ") :])
    assert tick["traffic"]["total"] >= 1
    assert "GET /v1/citizens/{personal_id}" in tick["traffic"]["by_route"]
    assert tick["traffic"]["p50_ms"] is not None
    assert any(r["agency"] == HOSPITAL for r in tick["records"])
    assert tick["audit"]["by_agency_operation"]


async def test_json_api_and_docs_keep_working(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/openapi.json")).status_code == 200
    assert (await client.get("/livez")).status_code in (200, 404)


async def _get(settings: Settings, path: str, **kwargs: object) -> httpx.Response:
    application = create_app(settings)
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as c:
            return await c.get(path, **kwargs)  # type: ignore[arg-type]
    finally:
        application.state.database.dispose()


@pytest.mark.parametrize("path", [*PAGES, "/dashboard/stream"])
async def test_off_means_not_found(settings: Settings, path: str) -> None:
    off = settings.model_copy(update={"dashboard": DashboardAccess.OFF})
    assert (await _get(off, path)).status_code == 404


def test_hardened_mode_defaults_to_off() -> None:
    hardened = Settings(mode=Mode.HARDENED, admin_token="a-real-secret-token-0123456789")
    assert hardened.dashboard_access is DashboardAccess.OFF
    assert Settings().dashboard_access is DashboardAccess.OPEN


@pytest.mark.parametrize("path", [*PAGES, "/dashboard/stream"])
async def test_admin_mode_needs_the_token(settings: Settings, path: str) -> None:
    admin = settings.model_copy(update={"dashboard": DashboardAccess.ADMIN})
    refused = await _get(admin, path)
    assert refused.status_code == 401
    assert "Admin token needed" in refused.text
    assert_secure(refused)
    bearer = {"Authorization": "Bearer sandbox-admin-token"}
    allowed = await _get(admin, path, headers=bearer, params={"events": 1})
    assert allowed.status_code == 200


async def test_admin_mode_login_sets_a_signed_cookie(settings: Settings) -> None:
    admin = settings.model_copy(update={"dashboard": DashboardAccess.ADMIN})
    application = create_app(admin)
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as c:
            wrong = await c.post("/dashboard/login", data={"token": "guess"})
            assert wrong.status_code == 403
            login = await c.post("/dashboard/login", data={"token": "sandbox-admin-token"})
            assert login.status_code == 303
            assert "httponly" in login.headers["set-cookie"].lower()
            assert (await c.get("/dashboard/policy")).status_code == 200
            assert (await c.get("/dashboard/stream", params={"events": 1})).status_code == 200
            c.cookies.set("popreg_dashboard", "9999999999.forged")
            assert (await c.get("/dashboard/policy")).status_code == 401
    finally:
        application.state.database.dispose()
