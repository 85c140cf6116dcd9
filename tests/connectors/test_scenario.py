"""Scenarios: the files validate, bad files say what is wrong, runs make their reports."""

from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.agencies.demo import ensure_demo_agencies
from app.cli import cli
from app.config import Settings
from app.db import build_engine
from app.events.simulate import KINDS
from app.main import create_app
from app.schema import upgrade
from connectors import Connector, ConnectorError, discover
from connectors.builtin.bank import BankConnector
from connectors.scenario import ScenarioError, html, load, parse, report, run_scenario
from connectors.scenario.model import check_names
from seed.load import populate
from tests.conftest import BACKENDS, empty_database_url
from tests.factories import make_citizen

SCENARIOS = Path(__file__).parents[2] / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml"))
AGENCIES = ["phusa-bank", "saomai-telecom", "honglinh-hospital"]
_SERIALS = itertools.count(random.randrange(100_000, 800_000))


# The files in scenarios/ ---------------------------------------------------------------


def test_the_workshop_scenarios_are_there() -> None:
    names = {path.stem for path in FILES}
    assert {
        "telecom-cleanup-2023",
        "bank-chip-reverification",
        "hospital-checkin-day",
        "privacy-incident",
        "national-load",
        "data-sharing-beyond-lookups",
    } <= names


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_scenario_file_validates_and_finishes_in_two_minutes(path: Path) -> None:
    scenario = load(path)  # against discover(): every connector and task exists

    assert scenario.title.strip()
    assert len(scenario.description) > 200  # it says what it teaches
    assert scenario.look_at
    assert scenario.length <= 120


def test_the_national_load_runs_every_connector() -> None:
    scenario = load(SCENARIOS / "national-load.yaml")
    assert set(scenario.connectors) == set(discover()[0])
    assert scenario.length <= 60


def test_the_privacy_incident_asks_outside_the_purpose_and_reads_the_access_log() -> None:
    steps = load(SCENARIOS / "privacy-incident.yaml").steps
    expected = {s.expect for s in steps if s.action == "lookup"}
    assert {"CONSENT_REQUIRED", "OPERATION_NOT_ALLOWED"} <= expected
    assert steps[-1].action == "access_log"


# Bad files -----------------------------------------------------------------------------

GOOD = """
title: A test
description: Something to learn.
duration: 10s
connectors:
  bank: {rate: 5/s}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "story.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads(tmp_path: Path) -> None:
    scenario = load(write(tmp_path, GOOD))
    assert scenario.connectors["bank"].rate == 5.0
    assert scenario.length == 10.0


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (GOOD + "faults: {server_error: 1%}\n", "faults", "unknown key"),
        (GOOD.replace("{rate: 5/s}", "{rate: 5/s, burst: 3}"), "connectors.bank.burst", "unknown"),
        (GOOD.replace("5/s", "5/x"), "connectors.bank.rate", "not a rate"),
        (GOOD.replace("5/s", "5000/s"), "connectors.bank.rate", "at most"),
        (GOOD.replace("duration: 10s", "duration: 10"), "duration", "with its unit"),
        (GOOD.replace("duration: 10s", "duration: ten"), "duration", "not a duration"),
        (GOOD.replace("{rate: 5/s}", "{rate: 5/s, start: -1s}"), "connectors.bank.start", ""),
        (GOOD.replace("title: A test\n", ""), "title", "Field required"),
        (GOOD + "steps:\n  - action: lookup\n", "steps[0]", "needs an agency and a purpose"),
        (GOOD + "steps:\n  - action: forget\n", "steps[0].action", "Input should be"),
        (GOOD + "steps:\n  - {action: access_log, citizen: '12'}\n", "steps[0].citizen", ""),
        (GOOD + "life_events: {rate: 2/s, duration: 0s}\n", "life_events.duration", "zero"),
        (GOOD + "steps:\n  - {action: access_log, expect: denied}\n", "steps[0].expect", ""),
    ],
)
def test_bad_fields_name_the_file_and_the_field(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load(path)
    assert f"{path}: {where}:" in str(caught.value)
    assert message in str(caught.value)


def test_an_unknown_connector_lists_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("bank:", "bakn:"))
    with pytest.raises(ScenarioError) as caught:
        load(path)
    text = str(caught.value)
    assert f"{path}: connectors.bakn: no connector called 'bakn'" in text
    for name in discover()[0]:
        assert name in text


def test_an_unknown_task_lists_the_connectors_tasks(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("{rate: 5/s}", "{rate: 5/s, tasks: {launder: 1}}"))
    with pytest.raises(ScenarioError, match=r"connectors\.bank\.tasks\.launder: .*onboard"):
        load(path)


def test_a_step_agency_must_be_a_demo_agency(tmp_path: Path) -> None:
    step = "steps:\n  - {action: lookup, agency: evil-corp, purpose: x}\n"
    with pytest.raises(ScenarioError, match=r"steps\[0\]\.agency: 'evil-corp' .*phusa-bank"):
        load(write(tmp_path, GOOD + step))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title: [unclosed\n", "not valid YAML"),
        ("- a list\n", "a scenario is a mapping"),
        (GOOD + "title: Again\n", "the key 'title' is given twice"),
        ("title: x\ndescription: y\n", "needs connectors, life_events or steps"),
        (
            GOOD + "steps:\n  - {at: 5s, action: access_log}\n  - {at: 2s, action: access_log}\n",
            "steps[1].at (2 s) is before steps[0].at (5 s)",
        ),
    ],
)
def test_files_that_are_not_scenarios(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError, match=re.escape(message)) as caught:
        load(path)
    assert str(caught.value).startswith(str(path))


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read it"):
        load(tmp_path / "nowhere.yaml")


def test_scale_multiplies_rates_and_fitting_stretches_the_timeline() -> None:
    text = GOOD + "life_events: {rate: 2/s, start: 5s, duration: 5s}\nsteps:\n"
    text += "  - {at: 8s, action: access_log}\n"
    scenario = parse(text, "story")
    assert scenario.length == 10.0

    scaled = scenario.scaled(3)
    assert scaled.connectors["bank"].rate == 15.0
    assert scaled.life_events is not None
    assert scaled.life_events.rate == 6.0

    fitted = scenario.fitted(60)
    assert fitted.length == pytest.approx(60)
    assert fitted.connectors["bank"].duration == pytest.approx(60)
    assert fitted.life_events is not None
    assert (fitted.life_events.start, fitted.life_events.duration) == pytest.approx((30, 30))
    assert fitted.steps[0].at == pytest.approx(48)
    assert fitted.connectors["bank"].rate == 5.0  # rates are --scale's business


# Runs in-process -----------------------------------------------------------------------


@pytest.fixture
async def transport(settings: Settings, registry: Any) -> AsyncIterator[httpx.ASGITransport]:
    """The app with committed writes (the demo agencies come from ``registry``)."""
    application = create_app(settings)
    yield httpx.ASGITransport(app=application)
    application.state.database.dispose()


@pytest.fixture
def citizen(engine: Engine, registry: Any) -> str:
    """A citizen of this test's own, so consents and access logs leave the shared rows alone."""
    personal_id = f"096190{next(_SERIALS):06d}"
    with Session(engine) as session, session.begin():
        session.add(
            make_citizen(
                personal_id=personal_id,
                full_name="Đặng Thị Mỹ Linh",
                birth_date=date(1990, 6, 1),
                birth_registration_province_code="096",
                phone="0912345678",
                email="linh@example.test",
            )
        )
    return personal_id


class BrokenConnector(Connector):
    name = "broken"
    title = "Cannot set up"
    agency = "phusa-bank"
    sector = "bank"
    purposes: ClassVar[dict[str, str]] = {"x": "kyc_onboarding"}
    tasks: ClassVar[dict[str, int]] = {"nothing": 1}

    async def setup(self) -> None:
        raise ConnectorError("broken: no customers today")


TINY = """
title: Tiny
description: |
  Two seconds of a bank, a connector that cannot start, and a step that expects
  the wrong answer.
duration: 2s
connectors:
  bank: {rate: 20/s, concurrency: 4, seed: 1}
  broken: {rate: 1/s}
steps:
  - at: 1s
    action: lookup
    agency: phusa-bank
    purpose: contact_update
    expect: ok
look_at:
  - The bank's line in the chart.
"""


@pytest.mark.anyio
async def test_a_tiny_run_makes_a_report_with_its_figures(
    transport: httpx.ASGITransport, citizen: str, tmp_path: Path
) -> None:
    scenario = parse(TINY, "tiny")
    known = {"bank": BankConnector, "broken": BrokenConnector}
    check_names(scenario, "tiny", known, AGENCIES)

    result = await run_scenario(
        scenario,
        name="tiny",
        known=known,
        url="http://popreg.test",
        transport=transport,
        subject=citizen,
    )

    bank_calls = [c for c in result.calls if c.connector == "bank"]
    assert len(bank_calls) >= 20  # 40 steps asked, each one or two calls
    assert {c.outcome for c in bank_calls} == {"ok"}
    assert {c.task for c in bank_calls} >= {"onboard", "reverify"}
    assert 1.5 < result.seconds < 6
    parts = {p.name: p for p in result.parts}
    assert parts["bank"].steps == 40
    assert parts["bank"].error is None
    assert parts["broken"].error == "broken: no customers today"
    # What did not go as the scenario says is listed, for the exit status and the report.
    [step] = result.steps
    assert (step.status, step.code, step.met) == (403, "CONSENT_REQUIRED", False)
    assert result.problems == [
        "broken: broken: no customers today",
        "step 1 (lookup) expected ok, got 403 CONSENT_REQUIRED: refused",
    ]

    page = html.write(result, tmp_path / "tiny.html").read_text(encoding="utf-8")
    assert "sandbox — synthetic data" in page
    assert "<script src=" not in page  # plotly.js is in the page: it opens offline
    assert page.count("Plotly.newPlot(") == 4
    figures = _figures(page)
    over_time = figures["requests"]["data"]
    bank_line = next(t for t in over_time if t["name"] == "phusa-bank · bank")
    assert sum(bank_line["y"]) == len(bank_calls)
    outcomes = {t["name"]: t for t in figures["outcomes"]["data"]}
    assert "phusa-bank · bank" in outcomes["ok"]["x"]
    codes = figures["codes"]["data"]
    assert codes[0]["x"] == ["CONSENT_REQUIRED"]
    assert {f"{t}" for t in figures["latency"]["data"][0]["x"]} >= {"phusa-bank · bank · onboard"}
    assert "Tiny" in page
    assert "The bank&#x27;s line in the chart." in page
    assert "Not as the scenario says" in page

    console = Console(record=True, width=160)
    console.print(report.summary(result))
    text = console.export_text()
    assert "phusa-bank" in text
    assert "CONSENT_REQUIRED" in text
    assert "What to look at" in text


@pytest.mark.anyio
async def test_the_privacy_incident_shows_the_refusals_in_the_access_log(
    transport: httpx.ASGITransport, citizen: str, registry: Any, tmp_path: Path
) -> None:
    scenario = load(SCENARIOS / "privacy-incident.yaml").fitted(3)
    known = {name: found.connector for name, found in discover()[0].items()}
    async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as http:
        before = await http.get(  # an older record: not this run's evidence
            f"/v1/citizens/{citizen}",
            headers={
                "X-API-Key": registry.keys["honglinh-hospital"],
                "X-Purpose": "patient_checkin",
            },
        )
    assert before.status_code == 200

    result = await run_scenario(
        scenario,
        name="privacy-incident",
        known=known,
        url="http://popreg.test",
        transport=transport,
        subject=citizen,
    )

    assert result.problems == []
    assert all(step.met is not False for step in result.steps)
    evidence = result.steps[-1]
    assert evidence.step.action == "access_log"
    assert evidence.citizen == citizen
    summaries = [r["summary"] for r in evidence.records]
    assert {r["agency"] for r in evidence.records} == {"phusa-bank", "saomai-telecom"}
    consent_refusal = (
        "Ngân hàng Phù Sa (demo) asked for your data for “Read a customer's phone and email "
        "to update contact details” and was refused: it needed your consent, which you had "
        "not given."
    )
    assert summaries.count(consent_refusal) == 2  # before the consent and after withdrawing it
    assert any(
        s.startswith("Sao Mai Telecom (demo)") and s.endswith("its purpose does not allow that.")
        for s in summaries
    )
    assert any("read your personal ID number, full name, phone number" in s for s in summaries)
    denied = {c.code for c in result.calls if c.outcome == "denied"}
    assert denied == {"CONSENT_REQUIRED", "OPERATION_NOT_ALLOWED", "PURPOSE_NOT_ALLOWED"}

    page = html.write(result, tmp_path / "privacy.html").read_text(encoding="utf-8")
    assert f"The steps are about citizen {citizen}" in page
    assert '<tr class="denied">' in page
    assert "it needed your consent, which you had not given." in page


def _figures(page: str) -> dict[str, dict[str, Any]]:
    """Each chart's data and layout, by its div id, as the page hands them to plotly.js."""
    found = {}
    for match in re.finditer(r'Plotly\.newPlot\(\s*"(\w+)",\s*(\[.*?\]),\s*(\{.*?\}),', page):
        found[match[1]] = {"data": json.loads(match[2]), "layout": match[3]}
    return found


# The commands --------------------------------------------------------------------------


def test_list_shows_the_files_and_their_titles() -> None:
    result = CliRunner().invoke(cli, ["scenario", "list", "--directory", str(SCENARIOS)])
    assert result.exit_code == 0, result.output
    assert "privacy-incident" in result.output
    assert "national-load" in result.output


def test_run_refuses_a_bad_file_before_calling_anyone(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("5/s", "lots"))
    result = CliRunner().invoke(cli, ["scenario", "run", str(path), "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 2
    assert "connectors.bank.rate" in result.output


def test_run_says_when_nobody_answers(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    result = CliRunner().invoke(cli, ["scenario", "run", str(path), "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "no answer from http://127.0.0.1:9" in result.output


def test_the_default_report_path_names_the_scenario_and_the_time() -> None:
    path = html.default_path("national-load", 1_800_000_000.0)
    assert path == Path("var/reports/national-load-20270115-080000.html")


@pytest.fixture(params=BACKENDS)
async def changing_registry(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[httpx.ASGITransport]:
    """A seeded registry of its own: life events change citizens, so not the shared one."""
    url = empty_database_url(request.param, tmp_path, request)
    upgrade(url)
    settings = Settings(database_url=url, access_log=False)
    engine = build_engine(settings)
    try:
        populate(engine, citizens=400, seed=3, helpers=0)
        with Session(engine) as session, session.begin():
            ensure_demo_agencies(session)
    finally:
        engine.dispose()
    application = create_app(settings)
    yield httpx.ASGITransport(app=application)
    application.state.database.dispose()


@pytest.mark.anyio
async def test_life_events_run_in_process_and_land_in_the_call_log(
    changing_registry: httpx.ASGITransport, tmp_path: Path
) -> None:
    text = """
title: Life goes on
description: Births, deaths and new cards while a bank follows the deaths.
duration: 2s
connectors:
  bank: {rate: 4/s, tasks: {follow_deaths: 1}}
life_events: {rate: 15/s, seed: 5}
"""
    scenario = parse(text, "life")

    result = await run_scenario(
        scenario,
        name="life",
        known={"bank": BankConnector},
        url="http://popreg.test",
        transport=changing_registry,
    )

    assert result.problems == []
    tally = result.life
    assert tally is not None
    assert tally.aborted is None
    assert sum(tally.recorded.values()) >= 10
    civil = [c for c in result.calls if c.connector == "life_events"]
    assert len(civil) == tally.answered + tally.retries
    assert {c.agency for c in civil} == {"civil-registry-demo"}
    assert {c.task for c in civil} <= set(KINDS)
    assert all(c.path.startswith("/v1/civil/") for c in civil)  # no sampling calls
    [part] = [p for p in result.parts if p.name == "life_events"]
    assert part.tasks == {kind: n for kind, n in tally.recorded.items() if n}
    assert {c.task for c in result.calls if c.connector == "bank"} == {"follow_deaths"}

    page = html.write(result, tmp_path / "life.html").read_text(encoding="utf-8")
    assert "civil-registry-demo · life_events" in page
    assert "<h2>Life events</h2>" in page
