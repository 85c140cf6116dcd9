"""Run a scenario: its connectors, life events and steps side by side on one timeline.

Each connector part is ``connectors.make_connector`` + ``connectors.run``, all writing
to one ``CallLog``; life events are ``popreg simulate life``'s engine, in-process,
whose civil-registry calls are added to the same log (connector ``life_events``);
steps run in order, each at its moment. A part that fails (a connector that cannot
set up, a server that refuses the simulator) is reported; the others go on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.agencies.keys import demo_api_key
from app.config import DEFAULT_ADMIN_TOKEN
from app.events.simulate import SimulationOptions, Tally, simulate
from app.events.simulate.api import PATHS
from connectors.base import Connector
from connectors.calls import Call, CallLog, problem_code
from connectors.runner import RunPlan, make_connector, run
from connectors.scenario.model import SUBJECT, ConnectorPart, Scenario
from connectors.scenario.steps import CITIZEN_CODE, StepError, StepResult, StepRunner

logger = logging.getLogger("popreg.connectors")

LIFE_EVENTS = "life_events"  # the connector name of the simulator's calls in the call log
CIVIL_AGENCY = "civil-registry-demo"
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
KINDS_BY_PATH = {path: kind for kind, path in PATHS.items()}


class ScenarioAborted(RuntimeError):
    """The scenario cannot start (no server, no subject)."""


@dataclass
class PartResult:
    name: str  # a connector's name, or "life_events"
    agency: str
    start: float  # seconds after the scenario's start
    seconds: float  # asked
    rate: float  # asked, per second
    steps: int = 0
    failed_steps: int = 0
    tasks: dict[str, int] = field(default_factory=dict)
    error: str | None = None


@dataclass
class ScenarioResult:
    name: str  # the file's stem
    scenario: Scenario
    url: str
    scale: float
    started_at: float  # unix time the timeline started
    seconds: float
    calls: list[Call]
    parts: list[PartResult]
    steps: list[StepResult]
    subject: str | None
    life: Tally | None = None
    step_error: str | None = None

    @property
    def problems(self) -> list[str]:
        """What did not go as the scenario says: failed parts, steps not answered as expected."""
        found = [f"{p.name}: {p.error}" for p in self.parts if p.error]
        if self.step_error:
            found.append(f"steps: {self.step_error}")
        for result in self.steps:
            if result.met is False:
                found.append(
                    f"step {result.index + 1} ({result.step.action}) expected "
                    f"{result.step.expect}, got {result.detail}"
                )
        return found


Progress = Callable[[float, CallLog], None]  # elapsed seconds, the log so far
StepSeen = Callable[[StepResult], None]


async def run_scenario(
    scenario: Scenario,
    *,
    name: str,
    known: Mapping[str, type[Connector]],
    url: str = "http://127.0.0.1:8000",
    transport: httpx.AsyncBaseTransport | None = None,
    admin_token: str = DEFAULT_ADMIN_TOKEN,
    citizen_code: str = CITIZEN_CODE,
    subject: str | None = None,
    scale: float = 1.0,
    progress: Progress | None = None,
    on_step: StepSeen | None = None,
) -> ScenarioResult:
    """Run every part of ``scenario`` (already scaled) against ``url`` (or ``transport``)."""
    log = CallLog()
    limit = sum(p.concurrency for p in scenario.connectors.values()) + 8
    async with (
        httpx.AsyncClient(
            base_url=url,
            transport=transport,
            timeout=TIMEOUT,
            limits=httpx.Limits(max_connections=limit, max_keepalive_connections=limit),
        ) as http,
        _life_client(url, transport, log) as life_http,
    ):
        await _check_server(http, url)
        stepper = StepRunner(http, log, admin_token=admin_token, citizen_code=citizen_code)
        try:
            chosen = await _prepare_steps(scenario, stepper, subject)
        except (StepError, httpx.TransportError) as error:
            raise ScenarioAborted(str(error) or type(error).__name__) from None
        timeline = Timeline(scenario, known, http, life_http, log, admin_token, url)
        started_at, clock = time.time(), time.monotonic()
        watcher = asyncio.create_task(_watch(progress, log, clock))
        try:
            outcome = await asyncio.gather(
                timeline.connectors(clock),
                timeline.life_events(clock),
                timeline.steps(stepper, clock, on_step),
            )
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        seconds = time.monotonic() - clock
        if progress is not None:
            progress(seconds, log)
    parts, (life_part, tally), (steps, step_error) = outcome
    if life_part is not None:
        parts.append(life_part)
    return ScenarioResult(
        name=name,
        scenario=scenario,
        url=url,
        scale=scale,
        started_at=started_at,
        seconds=seconds,
        calls=list(log),
        parts=parts,
        steps=steps,
        subject=chosen,
        life=tally,
        step_error=step_error,
    )


@dataclass
class Timeline:
    scenario: Scenario
    known: Mapping[str, type[Connector]]
    http: httpx.AsyncClient
    life_http: httpx.AsyncClient
    log: CallLog
    admin_token: str
    url: str

    async def connectors(self, clock: float) -> list[PartResult]:
        parts = self.scenario.connectors.items()
        return list(await asyncio.gather(*(self._connector(n, p, clock) for n, p in parts)))

    async def _connector(self, name: str, part: ConnectorPart, clock: float) -> PartResult:
        connector_class = self.known[name]
        seconds = self.scenario.part_seconds(part)
        result = PartResult(name, connector_class.agency, part.start, seconds, part.rate)
        await _sleep_until(clock + part.start)
        connector = make_connector(
            connector_class, self.http, log=self.log, admin_token=self.admin_token, seed=part.seed
        )
        if part.tasks is not None:
            connector.tasks = {t: w for t, w in part.tasks.items() if w > 0}  # type: ignore[misc]
        try:
            ran = await run(connector, RunPlan(part.rate, seconds, part.concurrency))
        except Exception as error:  # someone's connector: report it, let the others run
            logger.debug("%s failed", name, exc_info=True)
            result.error = str(error) or type(error).__name__
            return result
        result.steps, result.failed_steps, result.tasks = ran.steps, ran.failed_steps, ran.tasks
        return result

    async def life_events(self, clock: float) -> tuple[PartResult | None, Tally | None]:
        part = self.scenario.life_events
        if part is None:
            return None, None
        seconds = self.scenario.part_seconds(part)
        result = PartResult(LIFE_EVENTS, CIVIL_AGENCY, part.start, seconds, part.rate)
        await _sleep_until(clock + part.start)
        options = SimulationOptions(
            url=self.url,
            api_key=demo_api_key(CIVIL_AGENCY).secret,
            admin_token=self.admin_token,
            rate=part.rate,
            duration=seconds,
            seed=part.seed,
            concurrency=part.concurrency,
        )
        try:
            tally = await simulate(options, client=self.life_http)
        except Exception as error:  # report it; the connectors and steps go on
            logger.debug("life events failed", exc_info=True)
            result.error = str(error) or type(error).__name__
            return result, None
        result.steps = tally.answered
        result.failed_steps = sum(tally.errors.values())
        result.tasks = {kind: n for kind, n in tally.recorded.items() if n}
        result.error = tally.aborted
        return result, tally

    async def steps(
        self, stepper: StepRunner, clock: float, on_step: StepSeen | None
    ) -> tuple[list[StepResult], str | None]:
        done: list[StepResult] = []
        for index, step in enumerate(self.scenario.steps):
            if step.at is not None:
                await _sleep_until(clock + step.at)
            try:
                result = await stepper.run(index, step, time.monotonic() - clock)
            except (StepError, httpx.TransportError) as error:
                return done, f"step {index + 1} ({step.action}): {error}"
            done.append(result)
            if on_step is not None:
                on_step(result)
        return done, None


async def _prepare_steps(
    scenario: Scenario, stepper: StepRunner, subject: str | None
) -> str | None:
    """Choose the steps' subject (if they have one) and mark where access logs stand."""
    chosen = None
    citizens = {step.citizen for step in scenario.steps if step.action != "statistics"}
    if SUBJECT in citizens:
        given = subject or (None if scenario.subject == "sample" else scenario.subject)
        chosen = await stepper.choose_subject(given)
        citizens = (citizens - {SUBJECT}) | {chosen}
    if any(step.action == "access_log" for step in scenario.steps):
        for citizen in sorted(citizens):
            await stepper.mark(citizen)
    return chosen


async def _sleep_until(moment: float) -> None:
    wait = moment - time.monotonic()
    if wait > 0:
        await asyncio.sleep(wait)


async def _check_server(http: httpx.AsyncClient, url: str) -> None:
    try:
        response = await http.get("/healthz")
    except httpx.TransportError as error:
        raise ScenarioAborted(f"no answer from {url} ({type(error).__name__})") from None
    if response.status_code != 200:
        raise ScenarioAborted(f"{url}/healthz answered {response.status_code}: is it popreg?")


async def _watch(progress: Progress | None, log: CallLog, clock: float) -> None:
    if progress is None:
        return
    while True:
        await asyncio.sleep(0.5)
        progress(time.monotonic() - clock, log)


def _life_client(
    url: str, transport: httpx.AsyncBaseTransport | None, log: CallLog
) -> httpx.AsyncClient:
    """The simulator's client: its civil-registry calls also go into the scenario's log."""
    started: dict[int, tuple[float, float]] = {}

    async def on_request(request: httpx.Request) -> None:
        started[id(request)] = (time.time(), time.perf_counter())

    async def on_response(response: httpx.Response) -> None:
        request = response.request
        at, clock = started.pop(id(request), (time.time(), time.perf_counter()))
        if not request.url.path.startswith("/v1/civil/"):
            return  # the sampling and the key check: not the civil registry's work
        await response.aread()
        kind = KINDS_BY_PATH.get(request.url.path, request.url.path)
        log.add(
            Call(
                at=at,
                connector=LIFE_EVENTS,
                agency=CIVIL_AGENCY,
                task=kind,
                purpose=request.headers.get("X-Purpose"),
                method=request.method,
                path=request.url.path,
                status=response.status_code,
                code=problem_code(response),
                attempts=1,
                seconds=time.perf_counter() - clock,
                request_id=response.headers.get("X-Request-ID", ""),
            )
        )

    hooks: dict[str, list[Callable[[Any], Any]]] = {
        "request": [on_request],
        "response": [on_response],
    }
    return httpx.AsyncClient(base_url=url, transport=transport, timeout=TIMEOUT, event_hooks=hooks)
