"""``popreg connectors list`` and ``popreg connectors run``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli
from connectors import discover
from tests.audit.test_processes import free_port
from tests.connectors.test_locust import REPO, live_url

__all__ = ["live_url"]  # the fixture: a server on a seeded database of its own

runner = CliRunner()


def test_list_shows_every_connector_with_its_agency_and_source() -> None:
    result = runner.invoke(cli, ["connectors", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    found, _ = discover()
    assert "bank" in found
    for name, entry in found.items():
        assert name in result.stdout
        assert entry.connector.agency in result.stdout
    assert "built-in" in result.stdout


def test_list_shows_plugins_and_reports_broken_ones_but_exits_0(
    plugin_env: dict[str, str],
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "connectors", "list"],
        cwd=REPO,
        env={**plugin_env, "COLUMNS": "250"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    pharmacy = next(line for line in done.stdout.splitlines() if " pharmacy " in line)
    assert "popreg-pharmacy" in pharmacy
    assert "broken plugin explodes (popreg_broken.explodes:ExplodingConnector)" in done.stdout
    assert "broken plugin bank" in done.stdout


def test_run_paces_a_connector_and_sums_it_up(live_url: str, tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    pace = ["--duration", "2s", "--rate", "10/s", "--seed", "3"]
    result = runner.invoke(
        cli, ["connectors", "run", "bank", *pace, "--url", live_url, "--log", str(log)]
    )
    assert result.exit_code == 0, result.output
    summary = result.stdout
    assert "bank as phusa-bank" in summary
    for task in ("onboard", "reverify", "follow_deaths", "total", "outcomes", "ok"):
        assert task in summary
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert calls[0]["task"] == "check"  # the credentials are checked first
    made = [c for c in calls if c["task"] != "check"]
    assert 10 <= len(made) <= 60  # 20 steps of one or two calls
    assert {c["agency"] for c in calls} == {"phusa-bank"}
    assert all(c["outcome"] == "ok" for c in calls), calls


def test_run_refuses_an_unknown_connector_and_lists_the_known_ones() -> None:
    result = runner.invoke(cli, ["connectors", "run", "pharmacie", "--duration", "2s"])
    assert result.exit_code == 1
    assert "No connector 'pharmacie'" in result.output
    for name in discover()[0]:
        assert name in result.output


def test_a_bad_rate_is_a_usage_error() -> None:
    result = runner.invoke(cli, ["connectors", "run", "bank", "--rate", "fast"])
    assert result.exit_code == 2
    assert "--rate" in result.output


def test_a_bad_duration_is_a_usage_error() -> None:
    result = runner.invoke(cli, ["connectors", "run", "bank", "--duration", "soon"])
    assert result.exit_code == 2
    assert "--duration" in result.output


def test_run_exits_1_when_the_server_is_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = runner.invoke(cli, ["connectors", "run", "bank", "--duration", "2s", "--url", url])
    assert result.exit_code == 1
    assert "Cannot reach the registry" in result.output


def test_run_exits_1_when_the_key_is_refused(live_url: str) -> None:
    result = runner.invoke(
        cli,
        ["connectors", "run", "bank", "--url", live_url, "--api-key", "prk_00000000_not-a-key"],
    )
    assert result.exit_code == 1
    assert "refuses the credentials of phusa-bank" in result.output
    assert "401" in result.output


def test_the_key_of_an_agency_can_come_from_the_environment(live_url: str) -> None:
    result = runner.invoke(
        cli,
        ["connectors", "run", "bank", "--duration", "2s", "--url", live_url],
        env={"POPREG_API_KEY_PHUSA_BANK": "prk_00000000_from-the-env"},
    )
    assert result.exit_code == 1
    assert "refuses the credentials" in result.output
