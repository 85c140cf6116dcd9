"""``popreg simulate life``: in-process against the app, and against scripted answers."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.agencies.demo import ensure_demo_agencies
from app.agencies.keys import demo_api_key
from app.cli import cli
from app.config import Settings
from app.db import build_engine
from app.events.simulate import (
    KINDS,
    SimulationOptions,
    Tally,
    parse_duration,
    parse_rate,
    simulate,
    summary_table,
)
from app.main import create_app
from app.models import Citizen, LifeEvent, Sex
from app.schema import upgrade
from tests.conftest import BACKENDS, empty_database_url
from tests.factories import make_citizen

CIVIL_KEY = demo_api_key("civil-registry-demo").secret


# Rate and duration ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "per_second"),
    [("5/s", 5.0), ("300/m", 5.0), ("1800/h", 0.5), ("0.5/s", 0.5), (" 12/s ", 12.0)],
)
def test_rates_are_per_second_minute_or_hour(text: str, per_second: float) -> None:
    assert parse_rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize(
    "text", ["5", "5/", "/s", "5/x", "5 /s", "5/sec", "-5/s", "0/s", "five/s", "2000/s", "5/s/s"]
)
def test_bad_rates_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="rate"):
        parse_rate(text)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("10m", 600), ("1h", 3600), ("1h30m", 5400), ("2m5s", 125)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "m", "10 m", "1.5h", "0s", "5d", "10m1h", "-1m"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate", "fast"], "not a rate"),
        (["--duration", "forever"], "not a duration"),
        (["--province", "999"], "not a province"),
    ],
)
def test_the_command_refuses_bad_options_before_calling_anyone(
    args: list[str], message: str
) -> None:
    result = CliRunner().invoke(cli, ["simulate", "life", "--url", "http://127.0.0.1:9", *args])
    assert result.exit_code == 2
    assert message in result.output


# In-process, against the app -----------------------------------------------------------


@dataclass
class Sandbox:
    client: httpx.AsyncClient
    settings: Settings


def _personal_id(serial: int, sex: Sex, born: date) -> str:
    digit = (born.year // 100 - 19) * 2 + (sex is Sex.FEMALE)
    return f"001{digit}{born.year % 100:02d}{serial:06d}"


def populate(settings: Settings) -> None:
    """The demo agencies and 100 citizens: couples, singles, the old, children."""
    serial = itertools.count(500_001)
    today = date.today()

    def person(sex: Sex, age: int, name: str, **values: Any) -> Citizen:
        born = today.replace(year=today.year - age, day=1) - timedelta(days=next(serial) % 300)
        return make_citizen(
            personal_id=_personal_id(next(serial), sex, born),
            full_name=name,
            sex=sex,
            birth_date=born,
            **values,
        )

    engine = build_engine(settings)
    try:
        with Session(engine) as session, session.begin():
            ensure_demo_agencies(session)
            for i in range(20):
                husband = person(Sex.MALE, 28 + i % 12, "Trần Văn Bình", marital_status="married")
                wife = person(Sex.FEMALE, 25 + i % 12, "Lê Thị Thu", marital_status="married")
                session.add_all([husband, wife])
                session.flush()
                husband.spouse_id, wife.spouse_id = wife.id, husband.id
            for i in range(15):
                session.add(person(Sex.MALE, 22 + i, "Phạm Minh Quân"))
                session.add(person(Sex.FEMALE, 19 + i, "Đỗ Ngọc Anh"))
            for i in range(15):
                sex = Sex.MALE if i % 2 else Sex.FEMALE
                session.add(person(sex, 62 + i * 2, "Vũ Thị Lan", marital_status="widowed"))
            for i in range(15):
                session.add(person(Sex.MALE if i % 2 else Sex.FEMALE, 3 + i, "Ngô Gia Huy"))
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
async def sandbox(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Sandbox]:
    """A registry of its own: the simulator changes citizens, so not the shared one."""
    url = empty_database_url(request.param, tmp_path, request)
    upgrade(url)
    settings = Settings(database_url=url, access_log=False)
    populate(settings)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as client:
            yield Sandbox(client, settings)


async def read_feed(client: httpx.AsyncClient) -> tuple[list[dict[str, Any]], set[str]]:
    """Every event the civil registry's purpose follows, and which types it follows."""
    headers = {"X-API-Key": CIVIL_KEY, "X-Purpose": "civil_status"}
    events: list[dict[str, Any]] = []
    after = "0"
    while True:
        response = await client.get(
            "/v1/events", params={"after": after, "limit": 1000}, headers=headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        events += page["events"]
        after = page["next_cursor"]
        if not page["has_more"]:
            return events, set(page["followed_types"])


@pytest.mark.anyio
async def test_a_short_run_records_life_events_in_the_mix_and_the_feed(
    sandbox: Sandbox,
) -> None:
    options = SimulationOptions(rate=25.0, duration=3.0, seed=7, concurrency=4)
    tally = await simulate(options, client=sandbox.client)

    assert tally.aborted is None
    assert sum(tally.errors.values()) == 0, tally.error_codes
    recorded = sum(tally.recorded.values())
    assert recorded >= 0.5 * options.rate * options.duration
    assert tally.answered <= options.rate * options.duration + 1
    assert tally.recorded["card_reissue"] > 0
    assert tally.recorded["residence_change"] > 0
    assert tally.samples < tally.answered / 2  # candidates come in batches

    engine = build_engine(sandbox.settings)
    try:
        with Session(engine) as session:
            by_type = select(LifeEvent.type, func.count()).group_by(LifeEvent.type)
            stored = Counter({str(kind): n for kind, n in session.execute(by_type).all()})
            citizens = session.scalar(select(func.count()).select_from(Citizen))
    finally:
        engine.dispose()
    assert stored.total() == tally.events
    assert citizens == 100 + tally.recorded["birth"]
    for kind in KINDS:
        per_operation = 2 if kind in ("marriage", "divorce") else 1
        assert stored[kind] == per_operation * tally.recorded[kind], kind

    # The change feed carries them to the civil registry, as far as its purpose follows them.
    events, followed = await read_feed(sandbox.client)
    seen = Counter(e["type"] for e in events)
    assert {"birth", "death", "marriage", "divorce"} <= followed
    assert set(seen) <= followed
    for kind in followed & (set(KINDS) - {"residence_change"}):
        assert seen[kind] == stored[kind], kind
    # Moves of an address the purpose may not read may be left out.
    assert seen["residence_change"] <= stored["residence_change"]


@pytest.mark.anyio
async def test_births_have_a_plausible_mother_and_the_fathers_family_name(
    sandbox: Sandbox,
) -> None:
    options = SimulationOptions(rate=40.0, duration=2.0, seed=3)
    tally = await simulate(options, client=sandbox.client)
    assert tally.recorded["birth"] > 0
    events, _ = await read_feed(sandbox.client)
    births = [e for e in events if e["type"] == "birth"]
    assert len(births) == tally.recorded["birth"]
    for birth in births:
        changes = birth["changes"]
        mother = changes["mother"]
        assert changes["personal_id"][:3] == mother["personal_id"][:3]
        assert changes["birth_date"] in {
            date.today().isoformat(),
            (date.today() - timedelta(days=1)).isoformat(),
        }
        parent = changes["father"] or mother
        assert changes["full_name"].split()[0] in {
            parent["full_name"].split()[0],
            mother["full_name"].split()[0],
        }
        assert len(changes["full_name"].split()) >= 3


# Against scripted answers --------------------------------------------------------------


class Scripted:
    """A fake registry: samples made up from the filters, civil answers from ``answer``."""

    def __init__(
        self,
        answer: Callable[[httpx.Request, int], httpx.Response],
        operations: tuple[str, ...] = ("lookup", "subscribe", "register"),
    ) -> None:
        self.answer = answer
        self.operations = operations
        self.posts: list[tuple[float, httpx.Request]] = []
        self.samples: list[httpx.QueryParams] = []
        self._serial = itertools.count(1)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/agencies/me":
            purpose = {"code": "civil_status", "operations": list(self.operations)}
            return httpx.Response(200, json={"code": "civil-registry-demo", "purposes": [purpose]})
        if request.url.path == "/v1/sandbox/citizens/sample":
            self.samples.append(request.url.params)
            return httpx.Response(200, json={"citizens": self._sample(request.url.params)})
        self.posts.append((time.monotonic(), request))
        return self.answer(request, len(self.posts))

    def _sample(self, params: httpx.QueryParams) -> list[dict[str, Any]]:
        rows = []
        for i in range(int(params["count"])):
            sex = params.get("sex") or ("male" if i % 2 else "female")
            age = int(params.get("min_age") or 30) + 1
            status = params.get("marital_status") or "single"
            serial = next(self._serial)
            rows.append(
                {
                    "personal_id": f"001{'1' if sex == 'female' else '0'}90{serial:06d}",
                    "full_name": "Nguyễn Thị Hoa",
                    "sex": sex,
                    "birth_date": date(date.today().year - age, 5, 5).isoformat(),
                    "marital_status": status,
                    "spouse_personal_id": f"0010{serial + 900_000:08d}"
                    if status == "married"
                    else None,
                    "spouse_full_name": "Trần Văn Nam" if status == "married" else None,
                }
            )
        return rows


def created(request: httpx.Request, _: int) -> httpx.Response:
    return httpx.Response(201, json={"operation_id": "op_1", "events": [{"id": 1}]})


def problem(status: int, code: str, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        json={"type": "x", "title": "t", "status": status, "code": code, "detail": code},
        headers={"Content-Type": "application/problem+json", **headers},
    )


async def run_scripted(
    server: Scripted, options: SimulationOptions, slept: list[float] | None = None
) -> Tally:
    async def sleep(seconds: float) -> None:
        if slept is not None:
            slept.append(seconds)
        await asyncio.sleep(0)

    transport = httpx.MockTransport(server)
    async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as client:
        return await simulate(options, client=client, sleep=sleep)


@pytest.mark.anyio
async def test_requests_are_paced_evenly_not_in_bursts() -> None:
    server = Scripted(created)
    options = SimulationOptions(rate=40.0, duration=1.5, seed=1)
    tally = await run_scripted(server, options)
    assert 50 <= len(server.posts) <= 61
    moments = [moment for moment, _ in server.posts]
    gaps = [b - a for a, b in itertools.pairwise(moments)]
    assert min(gaps) > 0.4 / options.rate
    assert max(gaps) < 8 / options.rate  # a batch of samples may delay one
    assert tally.rate() == pytest.approx(options.rate, rel=0.2)


@pytest.mark.anyio
async def test_429_and_503_are_retried_with_retry_after_under_the_same_idempotency_key() -> None:
    def answer(request: httpx.Request, n: int) -> httpx.Response:
        if n == 1:
            return problem(429, "RATE_LIMITED", **{"Retry-After": "2"})
        if n == 2:
            return problem(503, "DATABASE_UNAVAILABLE")
        return created(request, n)

    server, slept = Scripted(answer), []
    tally = await run_scripted(server, SimulationOptions(rate=20.0, duration=0.3), slept)
    assert slept[0] == 2.0
    assert 0 < slept[1] <= 1.0  # backoff, no Retry-After
    assert tally.retries == 2
    first_keys = [request.headers["Idempotency-Key"] for _, request in server.posts[:3]]
    assert len(set(first_keys)) == 1
    assert sum(tally.recorded.values()) == len(
        {r.headers["Idempotency-Key"] for _, r in server.posts}
    )
    assert sum(tally.errors.values()) == 0


@pytest.mark.anyio
async def test_retries_give_up_as_errors_after_five_attempts() -> None:
    server, slept = Scripted(lambda request, n: problem(502, "HTTP_502")), []
    tally = await run_scripted(server, SimulationOptions(rate=5.0, duration=0.1), slept)
    assert len(server.posts) == 5
    assert sum(tally.errors.values()) == 1
    assert tally.error_codes == Counter({"HTTP_502": 1})


@pytest.mark.anyio
async def test_conflicts_and_rule_refusals_are_counted_not_fatal() -> None:
    codes = itertools.cycle(
        [(409, "ALREADY_MARRIED"), (422, "PARENT_NOT_ELIGIBLE"), (404, "CITIZEN_NOT_FOUND")]
    )

    def answer(request: httpx.Request, n: int) -> httpx.Response:
        return problem(*next(codes))

    server = Scripted(answer)
    options = SimulationOptions(rate=40.0, duration=0.5)
    tally = await run_scripted(server, options)
    assert tally.aborted is None
    assert sum(tally.refused.values()) == len(server.posts) >= 15
    assert sum(tally.errors.values()) == sum(tally.recorded.values()) == 0
    assert set(tally.refusal_codes) == {
        "ALREADY_MARRIED",
        "PARENT_NOT_ELIGIBLE",
        "CITIZEN_NOT_FOUND",
    }
    assert not tally.error_codes


@pytest.mark.anyio
async def test_a_refused_key_stops_the_run_at_once() -> None:
    server = Scripted(lambda request, n: problem(401, "INVALID_CREDENTIALS"))
    started = time.monotonic()
    tally = await run_scripted(server, SimulationOptions(rate=20.0, duration=30.0))
    assert time.monotonic() - started < 5
    assert tally.aborted is not None
    assert "INVALID_CREDENTIALS" in tally.aborted
    assert len(server.posts) <= 5


@pytest.mark.anyio
async def test_a_key_whose_purpose_may_not_register_is_refused_before_any_request() -> None:
    server = Scripted(created, operations=("lookup", "subscribe"))
    tally = await run_scripted(server, SimulationOptions(rate=20.0, duration=30.0))
    assert tally.aborted is not None
    assert "does not allow registering" in tally.aborted
    assert server.posts == []
    assert server.samples == []


@pytest.mark.anyio
async def test_an_unreachable_server_stops_the_run_after_the_retries() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    transport = httpx.MockTransport(refuse)
    async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as client:
        options = SimulationOptions(rate=20.0, duration=30.0)
        tally = await simulate(options, client=client, sleep=sleep)
    assert tally.aborted is not None
    assert "No answer from http://popreg.test" in tally.aborted
    assert len(slept) == 4
    assert slept == sorted(slept)  # backing off


@pytest.mark.anyio
async def test_each_request_is_a_well_formed_civil_operation() -> None:
    server = Scripted(created)
    options = SimulationOptions(rate=200.0, duration=1.0, seed=11, province="001")
    tally = await run_scripted(server, options)
    assert sum(tally.recorded.values()) == len(server.posts)
    kinds: Counter[str] = Counter()
    for _, request in server.posts:
        assert request.headers["X-API-Key"] == CIVIL_KEY
        assert request.headers["X-Purpose"] == "civil_status"
        body = json.loads(request.content)
        kinds[request.url.path] += 1
        if request.url.path.endswith("/births"):
            assert body["mother_personal_id"][:3] == body["birth_registration_province"]
            assert body["full_name"].split()[0] in {"Trần", "Nguyễn"}
        if request.url.path.endswith("/id-corrections"):
            assert body["reason"] == "wrong_birth_year"
        if request.url.path.endswith("/card-reissues"):
            assert body["reason"] in {"lost", "damaged", "expired"}
    assert server.samples
    assert all(params["province"] == "001" for params in server.samples)
    # In proportion to the yearly figures: card re-issues lead, then moves, then births.
    assert kinds["/v1/civil/card-reissues"] > kinds["/v1/civil/residence-changes"]
    assert kinds["/v1/civil/residence-changes"] > kinds["/v1/civil/births"]
    assert kinds["/v1/civil/births"] > kinds["/v1/civil/divorces"]


@pytest.mark.anyio
async def test_the_progress_line_and_the_summary_show_the_counts() -> None:
    codes = itertools.cycle([None, None, (409, "ALREADY_MARRIED")])

    def answer(request: httpx.Request, n: int) -> httpx.Response:
        code = next(codes)
        return created(request, n) if code is None else problem(*code)

    console = Console(file=io.StringIO(), width=200)
    transport = httpx.MockTransport(Scripted(answer))
    options = SimulationOptions(rate=30.0, duration=0.6)
    async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as client:
        tally = await simulate(options, client=client, console=console)
    assert sum(tally.refused.values()) > 0
    assert sum(tally.recorded.values()) > 0
    live = console.file.getvalue()  # type: ignore[attr-defined]
    assert f"refused {sum(tally.refused.values())}" in live
    assert f"cards {tally.recorded['card_reissue']}" in live

    console = Console(file=io.StringIO(), width=120)
    console.print(summary_table(tally, options))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert f"{tally.answered} operations" in text
    assert "ALREADY_MARRIED" in text
    assert "46.3%" in text  # the card re-issues' share of the mix


@pytest.mark.anyio
async def test_a_seed_repeats_the_operations_and_their_details() -> None:
    runs = []
    for _ in range(2):
        server = Scripted(created)
        options = SimulationOptions(rate=100.0, duration=0.4, seed=5, concurrency=1)
        await run_scripted(server, options)
        runs.append([(r.url.path, json.loads(r.content)) for _, r in server.posts])
    common = min(len(runs[0]), len(runs[1]))
    assert common >= 20
    assert runs[0][:common] == runs[1][:common]
    other = Scripted(created)
    await run_scripted(other, SimulationOptions(rate=100.0, duration=0.4, seed=6, concurrency=1))
    different = [(r.url.path, json.loads(r.content)) for _, r in other.posts]
    assert different[:common] != runs[0][:common]
