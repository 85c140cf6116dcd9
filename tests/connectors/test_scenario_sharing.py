"""Scenario steps beyond lookups: push_record, history, wallet, statistics, extract.

Checked three ways: the model refuses steps with fields that do not fit, each action
runs against the app in-process (an extract worker thread renders extracts), and
the workshop file runs start to end on a small seeded registry with every step met.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.agencies.demo import ensure_demo_agencies
from app.config import Settings
from app.db import build_engine
from app.extracts.worker import ExtractWorker
from app.main import create_app
from app.models import Sex
from app.models.records import RecordKind
from app.schema import upgrade
from connectors import discover
from connectors.scenario import (
    ScenarioError,
    ScenarioResult,
    html,
    load,
    parse,
    report,
    run_scenario,
    views,
)
from connectors.scenario.model import Step
from seed.load import populate
from tests.conftest import BACKENDS, empty_database_url
from tests.factories import make_citizen

SCENARIO = Path(__file__).parents[2] / "scenarios" / "data-sharing-beyond-lookups.yaml"
# Phường Mũi Né (Phan Thiết, legacy province 060; 2025 ward 22918): no other test lives there.
LEGACY_WARD, WARD = "22915", "22918"
_SERIALS = itertools.count(random.randrange(100_000, 800_000))


# The model ------------------------------------------------------------------------------

HEAD = """
title: A test
description: Something to learn.
steps:
"""


@pytest.mark.parametrize(
    ("step", "where", "message"),
    [
        ("{action: push_record, agency: a, purpose: p}", "steps[0]", "needs kind"),
        ("{action: push_record, kind: passport, agency: a, purpose: p}", "steps[0].kind", ""),
        (
            "{action: lookup, kind: driving_licence, agency: a, purpose: p}",
            "steps[0]",
            "kind is for push_record and history only, not lookup",
        ),
        (
            "{action: push_record, kind: vaccination, agency: a, purpose: p, record: {colour: x}}",
            "steps[0].record.colour",
            "unknown key",
        ),
        (
            "{action: push_record, kind: vaccination, agency: a, purpose: p, "
            "record: {holder: {full_name: X}}}",
            "steps[0].record.holder.birth_date",
            "Field required",
        ),
        ("{action: history, agency: a, purpose: p}", "steps[0]", "needs kind"),
        ("{action: wallet, agency: a}", "steps[0]", "wallet is the citizen's own view"),
        ("{action: wallet, cohort: {age_min: 75}}", "steps[0]", "cohort is for extract only"),
        ("{action: statistics}", "steps[0]", "needs query"),
        (
            "{action: statistics, agency: a, query: {group_by: sex}}",
            "steps[0]",
            "an agency with its purpose, or neither",
        ),
        ("{action: statistics, query: {sex: male}}", "steps[0].query.group_by", "Field required"),
        (
            "{action: statistics, citizen: subject, query: {group_by: sex}}",
            "steps[0]",
            "statistics count the population: no citizen",
        ),
        ("{action: statistics, query: {group_by: sex, colour: x}}", "steps[0].query.colour", ""),
        (
            "{action: statistics, query: {group_by: sex, ward: 31645}}",
            "steps[0].query.ward",
            "write codes as text, in quotes when they are digits",
        ),
        (
            "{action: statistics, query: {group_by: sex, disclosure_control: maybe}}",
            "steps[0].query.disclosure_control",
            "",
        ),
        ("{action: statistics, query: {group_by: sex, k: 2}}", "steps[0].query.k", ""),
        ("{action: extract, agency: a, purpose: p}", "steps[0]", "needs cohort"),
        ("{action: extract, cohort: {age_min: 75}}", "steps[0]", "needs an agency and a purpose"),
        (
            "{action: extract, agency: a, purpose: p, cohort: {town: x}}",
            "steps[0].cohort.town",
            "unknown key",
        ),
        (
            "{action: extract, agency: a, purpose: p, cohort: {sex: x}}",
            "steps[0].cohort.sex",
            "",
        ),
        (
            "{action: extract, agency: a, purpose: p, cohort: {}, query: {group_by: sex}}",
            "steps[0]",
            "query is for statistics only, not extract",
        ),
        (
            "{action: lookup, agency: a, purpose: p, claims: {full_name: X}}",
            "steps[0]",
            "claims is for verify only",
        ),
    ],
)
def test_bad_step_fields_name_the_file_and_the_field(step: str, where: str, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse(HEAD + f"  - {step}\n", "story")
    assert f"story: {where}:" in str(caught.value)
    assert message in str(caught.value)


def test_good_steps_parse_and_the_query_becomes_parameters() -> None:
    text = HEAD + (
        "  - action: statistics\n"
        "    query: {group_by: [age_band, marital_status], ward: '31645', sex: female,\n"
        "            ethnicity: [Khmer, Hoa], age_bands: 5, as_of: 2026-11-22,\n"
        "            disclosure_control: 'off'}\n"
        "  - {action: push_record, agency: a, purpose: p, kind: driving_licence,\n"
        "     record: {holder: {full_name: X Y, birth_date: '1985'}, data: {classes: [B]}}}\n"
        "  - {action: extract, agency: a, purpose: p, cohort: {province: '01', age_min: 75}}\n"
        "  - {action: wallet}\n"
    )
    statistics, push, extract, wallet = parse(text, "story").steps

    assert statistics.query is not None
    assert statistics.query.params() == {
        "group_by": "age_band,marital_status",
        "ward": "31645",
        "sex": "female",
        "ethnicity": "Khmer,Hoa",
        "age_bands": "5",
        "as_of": "2026-11-22",
        "disclosure_control": "off",
    }
    assert push.kind is RecordKind.DRIVING_LICENCE
    assert push.record is not None
    assert push.record.holder is not None
    assert push.record.holder.birth_date == "1985"
    assert extract.cohort is not None
    assert extract.cohort.model_dump(exclude_none=True) == {"province": "01", "age_min": 75}
    assert (wallet.agency, wallet.purpose) == (None, None)


def test_the_workshop_file_tells_the_whole_story() -> None:
    scenario = load(SCENARIO)
    steps = scenario.steps
    actions = [step.action for step in steps]

    assert {"push_record", "lookup", "history", "wallet", "access_log", "statistics"} <= set(
        actions
    )
    assert actions.index("extract") > actions.index("statistics")
    assert 60 <= scenario.length <= 120
    assert scenario.subject == "001085895359"  # a persona: the same story on every seed
    expected = {s.expect for s in steps}
    assert {"HOLDER_MISMATCH", "KIND_NOT_ALLOWED"} <= expected
    # The small-area table: first exact (the admin token), then the same under control.
    tables = [s for s in steps if s.action == "statistics"]
    exact = [s for s in tables if s.query and s.query.disclosure_control == "off"]
    assert len(exact) == 1
    assert exact[0].agency is None
    controlled = tables[tables.index(exact[0]) + 1]
    assert controlled.agency == "planning-ministry-demo"
    assert controlled.query is not None
    assert controlled.query.model_copy(update={"disclosure_control": "off"}) == exact[0].query


# Each action against the app -------------------------------------------------------------


@pytest.fixture
def app_transport(settings: Settings, registry: Any) -> Iterator[httpx.ASGITransport]:
    """The app with committed writes and an extract worker (no lifespan runs in tests)."""
    application = create_app(settings)
    worker = ExtractWorker(application.state.database, idle_seconds=0.05, name="test-extract")
    worker.start()
    try:
        yield httpx.ASGITransport(app=application)
    finally:
        worker.stop()
        application.state.database.dispose()


@pytest.fixture
def elder(engine: Engine, registry: Any) -> str:
    """A citizen of 80 in Mũi Né, of this test's own: in a 75+ cohort, with no licence yet."""
    personal_id = f"060146{next(_SERIALS):06d}"
    with Session(engine) as session, session.begin():
        session.add(
            make_citizen(
                personal_id=personal_id,
                full_name="Trương Thị Bảy",
                sex=Sex.FEMALE,
                birth_date=date(1946, 2, 3),
                birth_registration_province_code="060",
                permanent_legacy_ward_code=LEGACY_WARD,
                permanent_ward_code=WARD,
                current_legacy_ward_code=LEGACY_WARD,
                current_ward_code=WARD,
            )
        )
    return personal_id


STORY = """
title: Every action
description: One citizen's licence, wallet, ward table and extract.
steps:
  - action: push_record
    agency: transport-licensing-demo
    purpose: licence_issuing
    kind: driving_licence
    expect: "201"
  - action: push_record
    agency: transport-licensing-demo
    purpose: licence_issuing
    kind: driving_licence
    record: {holder: {full_name: TRUONG THI BAY, birth_date: 03/02/1947}}
    expect: HOLDER_MISMATCH
  - {action: lookup, agency: traffic-police-demo, purpose: traffic_control, expect: ok}
  - action: history
    agency: traffic-police-demo
    purpose: traffic_control
    kind: driving_licence
    expect: ok
  - action: history
    agency: traffic-police-demo
    purpose: traffic_control
    kind: health_insurance
    expect: KIND_NOT_ALLOWED
  - action: wallet
  - action: statistics
    query: {group_by: sex, ward: "LEGACY_WARD", disclosure_control: "off"}
    expect: ok
  - action: statistics
    agency: planning-ministry-demo
    purpose: population_planning
    query: {group_by: sex, ward: "LEGACY_WARD"}
    expect: ok
  - action: statistics
    agency: planning-ministry-demo
    purpose: labour_force_planning
    query: {group_by: ethnicity, ward: "LEGACY_WARD"}
    expect: DIMENSION_NOT_ALLOWED
  - action: extract
    agency: social-protection-demo
    purpose: social_pension
    cohort: {legacy_ward: "LEGACY_WARD", age_min: 75}
    expect: ok
  - action: extract
    agency: traffic-police-demo
    purpose: traffic_control
    cohort: {legacy_ward: "LEGACY_WARD"}
    expect: OPERATION_NOT_ALLOWED
  - action: access_log
""".replace("LEGACY_WARD", LEGACY_WARD)


async def _run(text: str, transport: httpx.ASGITransport, subject: str) -> ScenarioResult:
    return await run_scenario(
        parse(text, "story"),
        name="story",
        known={},
        url="http://popreg.test",
        transport=transport,
        subject=subject,
    )


@pytest.mark.anyio
async def test_every_new_action_against_the_app(
    app_transport: httpx.ASGITransport, elder: str, tmp_path: Path
) -> None:
    result = await _run(STORY, app_transport, elder)

    assert result.problems == []
    assert [s.met for s in result.steps if s.step.expect] == [True] * 10
    (push, mismatch, lookup, licence, insurance, wallet, exact, controlled) = result.steps[:8]
    extract, refused_extract, log = result.steps[9:]

    # The push: a new licence, version 1, checked against the registry's name and birth date.
    assert push.answer is not None
    assert (push.answer["result"], push.answer["version"]) == ("created", 1)
    number = push.answer["record"]["number"]
    assert number.startswith(elder[1:3])  # the citizen's province digits
    assert push.answer["record"]["data"]["classes"] == ["A1", "B"]
    assert mismatch.detail == "422 HOLDER_MISMATCH: refused (birth_date disagree)"

    # The traffic police see the licence and nothing beyond their purpose.
    assert lookup.answer is not None
    assert set(lookup.answer) == {
        "personal_id",
        "full_name",
        "birth_date",
        "sex",
        "driving_licence",
        "vehicle_registrations",
    }
    shown = views.view(lookup)
    assert shown is not None
    assert shown.lines[0].startswith("Fields returned: personal_id, full_name")
    assert any(number in text for row in shown.rows for text, _ in row)
    assert licence.answer is not None
    assert [v["agency"] for v in licence.answer["versions"]] == ["transport-licensing-demo"]
    assert (insurance.status, insurance.code) == (403, "KIND_NOT_ALLOWED")

    # The wallet lists the pushed licence with its source.
    assert wallet.answer is not None
    documents = {d["kind"]: d for d in wallet.answer["documents"]}
    assert documents["driving_licence"]["number"] == number
    assert documents["driving_licence"]["source_agency"] == "transport-licensing-demo"

    # Exact, the ward's small counts are marked; under control they are suppressed.
    assert exact.answer is not None
    assert exact.answer["disclosure_control"]["applied"] is False
    female = next(c for c in exact.answer["cells"] if c["sex"] == "female")
    assert 1 <= female["count"] < 10  # Mũi Né holds only this module's citizens
    exact_view = views.view(exact)
    assert exact_view is not None
    assert (str(female["count"]), "small") in [cell for row in exact_view.rows for cell in row]
    assert "exact counts" in exact.detail
    assert controlled.answer is not None
    assert controlled.answer["disclosure_control"]["applied"] is True
    cell = next(c for c in controlled.answer["cells"] if c["sex"] == "female")
    assert (cell["count"], cell["suppressed"]) == (None, "primary")
    controlled_view = views.view(controlled)
    assert controlled_view is not None
    assert ("primary", "suppressed") in [cell for row in controlled_view.rows for cell in row]
    assert "suppressed below k" in controlled.detail

    # The extract holds the citizen, whose access log shows it.
    assert extract.answer is not None
    assert extract.answer["extract"]["state"] == "done"
    assert extract.answer["rows"] == extract.answer["extract"]["rows_total"] >= 1
    assert extract.answer["witness"] == elder
    assert extract.citizen == elder
    assert [r["operation"] for r in extract.records] == ["extract"]
    assert "in a list of citizens drawn from the registry" in extract.records[0]["summary"]
    assert "the subject sees it in their access log" in extract.detail
    assert refused_extract.code == "OPERATION_NOT_ALLOWED"

    # The access log: the push, the refused push, the reads, the refusal, the extract.
    outcomes = [(r["agency"], r["operation"], r["outcome"]) for r in log.records]
    assert outcomes == [
        ("transport-licensing-demo", "enrich", "recorded"),
        ("transport-licensing-demo", "enrich", "invalid"),
        ("traffic-police-demo", "lookup", "disclosed"),
        ("traffic-police-demo", "record_history", "disclosed"),
        ("traffic-police-demo", "record_history", "denied"),
        ("social-protection-demo", "extract", "disclosed"),
    ]
    assert log.detail == "6 new records in the citizen's access log, 2 refused"
    admin = [c for c in result.calls if c.agency == "popreg-admin"]
    assert [(c.task, c.status) for c in admin] == [("statistics", 200)]

    console = Console(record=True, width=160)
    for step in result.steps:
        console.print(report.step_line(step))
    console.print(report.summary(result))
    text = console.export_text()
    assert "the registry operator (admin token)" in text
    assert "Giấy phép lái xe / Driving licence" in text
    assert "sex \\ " not in text  # one dimension: a list of cells, not a cross-table

    page = html.write(result, tmp_path / "story.html").read_text(encoding="utf-8")
    assert '<td class="small" title="small">' in page
    assert '<td class="suppressed" title="suppressed">primary</td>' in page
    assert "Giấy phép lái xe / Driving licence" in page
    assert "Fields returned: personal_id, full_name, birth_date, sex, driving_licence" in page
    assert "in a list of citizens drawn from the registry" in page


# Every kind's default record, pushed by the agency that issues it.
ISSUERS = {
    RecordKind.HEALTH_INSURANCE: ("social-insurance-demo", "insurance_records"),
    RecordKind.SOCIAL_INSURANCE: ("social-insurance-demo", "insurance_records"),
    RecordKind.DRIVING_LICENCE: ("transport-licensing-demo", "licence_issuing"),
    RecordKind.VEHICLE_REGISTRATION: ("traffic-police-demo", "vehicle_registration"),
    RecordKind.TAX_REGISTRATION: ("tax-authority-demo", "taxpayer_records"),
    RecordKind.VACCINATION: ("honglinh-hospital", "immunisation_records"),
}


@pytest.mark.anyio
async def test_every_kinds_default_record_is_accepted_and_a_second_push_renews_it(
    app_transport: httpx.ASGITransport, elder: str
) -> None:
    lines = []
    for kind, (agency, purpose) in ISSUERS.items():
        multi = kind in (RecordKind.VEHICLE_REGISTRATION, RecordKind.VACCINATION)
        for expect in ("201", "201" if multi else "200"):  # a fresh number: a new record
            lines.append(
                f"  - {{action: push_record, agency: {agency}, purpose: {purpose}, "
                f"kind: {kind.value}, expect: '{expect}'}}\n"
            )
    text = HEAD.replace("steps:", "steps:\n" + "".join(lines).rstrip("\n"))

    result = await _run(text, app_transport, elder)

    assert result.problems == []
    for first, second in zip(result.steps[::2], result.steps[1::2], strict=True):
        assert first.answer is not None
        assert second.answer is not None
        assert first.answer["result"] == "created"
        multi = first.step.kind in (RecordKind.VEHICLE_REGISTRATION, RecordKind.VACCINATION)
        if multi:  # keyed by number: a second record
            assert second.answer["result"] == "created"
        elif first.step.kind is RecordKind.TAX_REGISTRATION:  # the personal ID: the same
            assert second.answer["result"] == "unchanged"
        else:  # one per citizen: version 2
            assert (second.answer["result"], second.answer["version"]) == ("updated", 2)


@pytest.mark.anyio
async def test_statistics_alone_need_no_citizen(app_transport: httpx.ASGITransport) -> None:
    text = HEAD + "  - {action: statistics, query: {group_by: sex}, expect: ok}\n"
    result = await run_scenario(
        parse(text, "story"),
        name="story",
        known={},
        url="http://popreg.test",
        transport=app_transport,
        admin_token="not-the-admin-token",  # no subject is drawn: a sample would need it
    )

    assert result.subject is None
    [step] = result.steps
    assert (step.status, step.code, step.citizen) == (401, "INVALID_CREDENTIALS", "")


def test_a_wide_table_is_turned_and_cut_with_its_total_kept() -> None:
    wards = [f"{n:05d}" for n in range(50)]
    cells = [{"sex": s, "ward": w, "count": 12, "suppressed": None} for s in SEXES for w in wards]
    margins = [{"sex": "total", "ward": w, "count": 24, "suppressed": None} for w in wards]
    margins += [{"sex": s, "ward": "total", "count": 600, "suppressed": None} for s in SEXES]
    answer = {
        "group_by": ["sex", "ward"],
        "dimensions": [
            {"name": "sex", "categories": [{"code": s} for s in SEXES]},
            {"name": "ward", "categories": [{"code": w} for w in [*wards, "unknown"]]},
        ],
        "disclosure_control": {"applied": True, "k": 10},
        "cells": cells,
        "margins": margins,
        "total": {"count": 1200, "suppressed": None},
    }

    head, rows, left_out = views.Table.of(answer, None).grid()

    assert head == ["ward \\ sex", "male", "female", "total"]  # the wards down the side
    assert len(rows) == views.MAX_ROWS + 1
    assert rows[0] == [("00000", ""), ("12", ""), ("12", ""), ("24", "")]
    assert rows[-1] == [("total", ""), ("600", ""), ("600", ""), ("1,200", "")]
    assert left_out == 50 - views.MAX_ROWS


SEXES = ("male", "female")


def test_a_refused_or_unanswered_step_shows_nothing_beyond_its_words() -> None:
    from connectors.scenario import StepResult

    step = Step(action="wallet")
    assert views.view(StepResult(0, step, "001085895359", 1.0, None, None, "no answer")) is None


# The workshop file, start to end ---------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[httpx.ASGITransport]:
    """A small seeded registry of its own (personas included), with an extract worker."""
    url = empty_database_url(request.param, tmp_path, request)
    upgrade(url)
    settings = Settings(database_url=url, access_log=False)
    engine = build_engine(settings)
    try:
        populate(engine, citizens=600, seed=2, helpers=0)
        with Session(engine) as session, session.begin():
            ensure_demo_agencies(session)
    finally:
        engine.dispose()
    application = create_app(settings)
    worker = ExtractWorker(application.state.database, idle_seconds=0.05, name="test-extract")
    worker.start()
    try:
        yield httpx.ASGITransport(app=application)
    finally:
        worker.stop()
        application.state.database.dispose()


@pytest.mark.anyio
async def test_the_workshop_scenario_runs_with_every_step_met(
    seeded: httpx.ASGITransport, tmp_path: Path
) -> None:
    scenario = load(SCENARIO).fitted(8)
    known = {name: found.connector for name, found in discover()[0].items()}

    result = await run_scenario(
        scenario,
        name=SCENARIO.stem,
        known=known,
        url="http://popreg.test",
        transport=seeded,
    )

    assert result.problems == []
    assert all(step.met is not False for step in result.steps)
    assert result.subject == "001085895359"
    by_action: dict[str, list[Any]] = {}
    for step in result.steps:
        by_action.setdefault(step.step.action, []).append(step)
    [push, _] = by_action["push_record"]
    assert push.answer is not None
    assert push.answer["record"]["data"]["classes"] == ["A1", "B"]
    [lookup] = by_action["lookup"]
    assert lookup.answer is not None
    assert "driving_licence" in lookup.answer
    assert "health_insurance" not in lookup.answer
    [extract] = by_action["extract"]
    assert extract.answer is not None
    assert extract.answer["extract"]["state"] == "done"
    hospital = [c for c in result.calls if c.connector == "hospital"]
    assert hospital
    assert {c.outcome for c in hospital} == {"ok"}
    first_log, last_log = by_action["access_log"]
    story = {"transport-licensing-demo", "traffic-police-demo"}  # a check-in may add one
    assert [r["operation"] for r in first_log.records if r["agency"] in story] == [
        "enrich",
        "enrich",
        "lookup",
        "record_history",
        "record_history",
    ]
    assert not {r["operation"] for r in last_log.records} & {"statistics", "extract"}

    page = html.write(result, tmp_path / "sharing.html").read_text(encoding="utf-8")
    assert page.count("<h3>") == len(scenario.steps)
    assert "the registry operator (admin token)" in page
