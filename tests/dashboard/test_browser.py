"""The dashboard in a real headless Chromium against a live server (Playwright).

Uses the machine's Chromium (``/usr/bin/chromium``, ``make browser`` installs it);
``playwright install`` is never needed. Set ``POPREG_DASHBOARD_SCREENSHOTS=docs/images``
to save the screenshots the docs show (``dashboard-*.png``).
"""

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.audit.test_processes import free_port
from tests.cleaning.test_durability import serve, stop, wait_ready
from tests.conftest import Registry

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

CHROMIUM = os.environ.get("POPREG_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
HOSPITAL = "honglinh-hospital"
ADMIN = {"Authorization": "Bearer sandbox-admin-token"}
SCREENSHOTS = os.environ.get("POPREG_DASHBOARD_SCREENSHOTS")

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"no Chromium at {CHROMIUM} (make browser installs it with apt-get)",
)


@pytest.fixture(scope="module")
def base(database_url: str, registry: Registry) -> Iterator[str]:
    port = free_port()
    server = serve(database_url, port)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url)
        yield url
    finally:
        stop(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    tab.problems = []
    tab.on("console", lambda m: m.type == "error" and tab.problems.append(m.text))
    tab.on("pageerror", lambda e: tab.problems.append(str(e)))
    yield tab
    context.close()


def screenshot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"dashboard-{name}.png"), full_page=True)


def lookups(base: str, registry: Registry, count: int) -> None:
    headers = {"X-API-Key": registry.keys[HOSPITAL], "X-Purpose": "patient_checkin"}
    with httpx.Client(base_url=base, headers=headers) as client:
        for _ in range(count):
            assert client.get(f"/v1/citizens/{registry.head}").status_code == 200
        # and one refusal, for the denials table
        client.get(f"/v1/citizens/{registry.head}", headers={"X-Purpose": "no_such_purpose"})


def test_every_page_loads_without_console_errors(base: str, page: Any) -> None:
    for path in ["/", "/dashboard/policy", "/dashboard/tracker", "/dashboard/sandbox"]:
        page.goto(base + path)
        assert "Sandbox — synthetic data" in page.inner_text(".banner")
    assert page.problems == []


def test_counters_move_when_requests_are_made(base: str, page: Any, registry: Registry) -> None:
    page.goto(base + "/")
    sync_api.expect(page.locator("#stream-state")).to_have_text("live", timeout=10_000)
    before = int(page.inner_text("#total"))
    lookups(base, registry, 20)
    # Polled from Python: the page's CSP (no eval) rules out wait_for_function.
    deadline = time.monotonic() + 10
    while int(page.inner_text("#total")) < before + 20:
        assert time.monotonic() < deadline, "the request counter did not move"
        page.wait_for_timeout(200)
    sync_api.expect(page.locator("#feed")).to_contain_text(HOSPITAL, timeout=10_000)
    sync_api.expect(page.locator("#by-route")).to_contain_text("/v1/citizens/{personal_id}")
    screenshot(page, "traffic")
    assert page.problems == []


def test_tracker_shows_an_access_made_during_the_test(
    base: str, page: Any, registry: Registry
) -> None:
    lookups(base, registry, 1)
    page.goto(f"{base}/dashboard/tracker?personal_id={registry.head}")
    records = page.locator("#tracker-records")
    sync_api.expect(records).to_contain_text("read your")
    assert "Hồng Lĩnh" in records.inner_text() or HOSPITAL in records.inner_text()
    screenshot(page, "tracker")
    page.goto(base + "/dashboard/policy")
    sync_api.expect(page.locator("table.matrix")).to_contain_text(HOSPITAL)
    screenshot(page, "policy")
    assert page.problems == []


def test_a_fault_rule_created_by_the_api_shows_and_is_deleted_from_the_page(
    base: str, page: Any
) -> None:
    rule = {
        "route": "/v1/dashboard-browser-test/*",
        "probability": 0.5,
        "effect": {"kind": "error", "status": 503},
        "expires_in": 120,
    }
    created = httpx.post(f"{base}/v1/sandbox/faults", json=rule, headers=ADMIN)
    assert created.status_code == 201, created.text
    rule_id = created.json()["id"]
    try:
        page.goto(base + "/dashboard/sandbox")
        row = page.locator(f"tr[data-rule='{rule_id}']")
        sync_api.expect(row).to_contain_text("/v1/dashboard-browser-test/*")
        screenshot(page, "sandbox")
        page.fill("#admin-token", "sandbox-admin-token")
        row.locator("button.delete-rule").click()
        sync_api.expect(page.locator(f"tr[data-rule='{rule_id}']")).to_have_count(0)
    finally:
        httpx.delete(f"{base}/v1/sandbox/faults/{rule_id}", headers=ADMIN)
    assert page.problems == []
