"""A connector installed as a package of its own is listed, runs; a broken one is skipped.

The packages under ``tests/plugins/`` are installed by pip into temporary
directories (see ``plugin_installs``); a subprocess with those on ``PYTHONPATH``
is a Python environment where they are installed, as they would be beside popreg.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors import CallLog, RunPlan, discover, make_connector, run
from tests.conftest import Registry

pytestmark = pytest.mark.anyio
REPO = Path(__file__).parents[2]
DISCOVER = """
import json
from connectors import discover
found, broken = discover()
print(json.dumps({
    "found": {name: f.source for name, f in found.items()},
    "broken": {b.name: {"target": b.target, "error": b.error} for b in broken},
}))
"""


def _python(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def plugin_discovery(plugin_env: dict[str, str]) -> dict[str, Any]:
    """What ``discover()`` answers in a process where the test plugins are installed."""
    done = _python(plugin_env, "-c", DISCOVER)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture
def plugin_pharmacy(
    plugin_installs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """popreg-pharmacy importable in this process (sys.path) for one test, then gone again."""
    monkeypatch.syspath_prepend(str(plugin_installs["popreg-pharmacy"]))
    yield
    for module in [m for m in sys.modules if m.split(".")[0] == "popreg_pharmacy"]:
        del sys.modules[module]


def test_an_installed_plugin_is_found_under_its_package_name(
    plugin_discovery: dict[str, Any],
) -> None:
    assert "pharmacy" not in discover()[0]  # not here: only where the package is installed
    assert plugin_discovery["found"]["pharmacy"] == "popreg-pharmacy"
    assert plugin_discovery["found"]["bank"] == "built-in"


def test_broken_plugins_are_reported_with_their_error_and_skipped(
    plugin_discovery: dict[str, Any],
) -> None:
    broken = plugin_discovery["broken"]
    assert set(broken) == {"explodes", "not_a_connector", "bank"}
    assert broken["explodes"] == {
        "target": "popreg_broken.explodes:ExplodingConnector",
        "error": "RuntimeError: popreg_broken.explodes cannot be imported (deliberately)",
    }
    assert broken["not_a_connector"]["error"].startswith("TypeError: ")
    assert "is not a subclass of connectors.Connector" in broken["not_a_connector"]["error"]
    assert broken["bank"]["error"] == "a built-in connector has that name"
    assert plugin_discovery["found"]["bank"] == "built-in"  # the plugin did not replace it
    assert {"explodes", "not_a_connector"}.isdisjoint(plugin_discovery["found"])


def test_connectors_list_shows_the_plugin_and_reports_the_broken_ones(
    plugin_env: dict[str, str],
) -> None:
    done = _python({**plugin_env, "COLUMNS": "200"}, "-m", "app.cli", "connectors", "list")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pharmacy" in done.stdout
    assert "popreg-pharmacy" in done.stdout
    output = done.stdout + done.stderr
    assert "broken plugin explodes" in output
    assert "RuntimeError: popreg_broken.explodes cannot be imported" in output
    assert "broken plugin not_a_connector" in output


async def test_the_pharmacy_runs_against_the_registry(
    plugin_pharmacy: None, committing_client: httpx.AsyncClient, registry: Registry
) -> None:
    found, _ = discover()
    assert found["pharmacy"].source == "popreg-pharmacy"
    log = CallLog()
    pharmacy = make_connector(found["pharmacy"].connector, committing_client, log=log, seed=6)

    result = await run(pharmacy, RunPlan(rate=20, seconds=1))

    assert result.failed_steps == 0
    assert result.steps == 20
    assert set(result.tasks) == {"dispense", "verify_patient"}
    assert len(log) == result.steps
    assert {call.status for call in log} == {200}
    assert {(call.path, call.purpose) for call in log} == {
        ("/v1/citizens/{personal_id}", "patient_checkin"),
        ("/v1/identity/verify", "patient_checkin"),
    }
    assert {call.agency for call in log} == {"honglinh-hospital"}
    assert pharmacy.on_insurance + pharmacy.full_price == result.tasks["dispense"]


async def test_the_pharmacy_against_a_mock_registry(plugin_pharmacy: None) -> None:
    """The unit test docs/connectors.md shows: no server, no database."""
    from popreg_pharmacy import PharmacyConnector

    patient = {"personal_id": "079085000103", "full_name": "Trần Minh Khôi"}
    card = {"health_insurance_card": "DN4797912345678", "vital_status": "alive"}

    def registry(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/sandbox/citizens/sample":
            return httpx.Response(200, json={"citizens": [patient]})
        assert request.headers["X-Purpose"] == "patient_checkin"
        return httpx.Response(200, json={**patient, **card})

    log = CallLog()
    transport = httpx.MockTransport(registry)
    async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as http:
        pharmacy = make_connector(PharmacyConnector, http, log=log, seed=1)
        await pharmacy.setup()
        await pharmacy.dispense()

    assert pharmacy.on_insurance == 1
    assert [(call.task, call.outcome) for call in log] == [("dispense", "ok")]
