"""Run a connector at a steady rate for a while: the engine under `connectors run` and scenarios.

Steps are paced evenly (step n is due ``n / rate`` seconds after the start, never
in bursts to catch up) and run by ``concurrency`` workers; a step that is late
because every worker is busy runs as soon as one is free, until the time is up
(steps in flight then finish; no new one starts). A progress callback
sees the call log every half second.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from connectors.base import Connector, ConnectorError
from connectors.calls import Call, CallLog, Summary, summarise
from connectors.client import Credentials, RegistryClient, RetryPolicy

logger = logging.getLogger("popreg.connectors")


@dataclass(frozen=True, slots=True)
class RunPlan:
    rate: float | None  # steps per second; None: as fast as the workers go
    seconds: float
    concurrency: int = 4


@dataclass
class Progress:
    elapsed: float
    steps: int
    failed_steps: int
    summary: Summary


@dataclass
class RunResult:
    connector: str
    agency: str
    plan: RunPlan
    steps: int
    failed_steps: int  # steps that raised (a connector bug or an unexpected answer)
    summary: Summary
    tasks: dict[str, int] = field(default_factory=dict)


def make_connector(
    connector_class: type[Connector],
    http: httpx.AsyncClient,
    *,
    log: CallLog,
    agency: str | None = None,
    api_key: str | None = None,
    oauth2: bool = False,
    admin_token: str | None = None,
    retry: RetryPolicy | None = None,
    seed: int | None = None,
) -> Connector:
    """A connector with its client; without a key, the demo agency's documented key."""
    from app.agencies.keys import demo_api_key

    code = agency or connector_class.agency
    credentials = Credentials(
        agency=code,
        api_key=api_key or demo_api_key(code).secret,
        mode="oauth2" if oauth2 else "api_key",
    )
    rng = random.Random(seed)  # noqa: S311 - simulation
    client = RegistryClient(
        http, credentials, connector=connector_class.name, log=log, retry=retry, rng=rng
    )
    extra = {"admin_token": admin_token} if admin_token else {}
    return connector_class(client, rng=rng, **extra)


async def run(
    connector: Connector,
    plan: RunPlan,
    *,
    progress: Callable[[Progress], None] | None = None,
    stop: asyncio.Event | None = None,
) -> RunResult:
    """Set the connector up, run its steps for ``plan.seconds``, tear it down."""
    log = connector.registry.log
    agency = connector.registry.credentials.agency
    await connector.setup()
    first_call = len(log)
    steps = failed = 0
    tasks: dict[str, int] = {}
    counter = itertools.count()
    start = time.monotonic()
    end = start + plan.seconds
    stopping = stop or asyncio.Event()

    async def worker() -> None:
        nonlocal steps, failed
        while not stopping.is_set():
            n = next(counter)
            due = start + n / plan.rate if plan.rate else time.monotonic()
            # The run ends on time: steps still due when it is over (the workers fell
            # behind, e.g. waiting out retries) are not run.
            if due >= end or time.monotonic() >= end:
                return
            wait = due - time.monotonic()
            if wait > 0:
                try:
                    await asyncio.wait_for(stopping.wait(), wait)
                    return
                except TimeoutError:
                    pass
            try:
                name = await connector.step()
            except ConnectorError:
                stopping.set()
                raise
            except Exception:
                failed += 1
                logger.exception("%s: a step failed", connector.name)
                continue
            steps += 1
            tasks[name] = tasks.get(name, 0) + 1

    async def report() -> None:
        while True:
            await asyncio.sleep(0.5)
            if progress is not None:
                elapsed = time.monotonic() - start
                progress(
                    Progress(
                        elapsed, steps, failed, summarise(mine(log.since(first_call)), elapsed)
                    )
                )

    def mine(calls: list[Call]) -> list[Call]:
        # A log may be shared (a scenario's): count only this connector's calls.
        return [c for c in calls if c.connector == connector.name and c.agency == agency]

    reporter = asyncio.create_task(report())
    try:
        await asyncio.gather(*(worker() for _ in range(plan.concurrency)))
    finally:
        reporter.cancel()
        await asyncio.gather(reporter, return_exceptions=True)
        elapsed = time.monotonic() - start
        try:
            await connector.teardown()
        finally:
            if progress is not None:
                progress(
                    Progress(
                        elapsed, steps, failed, summarise(mine(log.since(first_call)), elapsed)
                    )
                )
    return RunResult(
        connector=connector.name,
        agency=connector.registry.credentials.agency,
        plan=plan,
        steps=steps,
        failed_steps=failed,
        summary=summarise(mine(log.since(first_call)), elapsed),
        tasks=tasks,
    )
