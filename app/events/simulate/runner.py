"""The engine: draws operations in the mix, paces them to the rate, sends them, tallies answers.

Refusals (409/422, and 404 when an ID just changed) are counted, not fatal: a run
races with itself and with other users. Answers that refuse the run itself
(credentials, purpose, wrong URL) stop it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable

import httpx
import numpy as np
from rich.console import Console
from rich.progress import Progress, TextColumn
from rich.table import Column

from app.events.simulate.api import PATHS, TIMEOUT, Aborted, GaveUp, RegistryApi, problem
from app.events.simulate.mix import KINDS, shares
from app.events.simulate.operations import Operations, Plan, load_reference
from app.events.simulate.options import SimulationOptions, Tally
from app.events.simulate.pools import Pools
from app.events.simulate.report import live_line


class Simulator:
    """Draws operations in the mix, paces them to the rate, sends them, tallies answers."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        options: SimulationOptions,
        *,
        tally: Tally | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.options = options
        self.tally = tally if tally is not None else Tally()
        self._rng = random.Random(options.seed)  # noqa: S311 - simulation, not security
        self._api = RegistryApi(client, options, self.tally, sleep)
        pool_rng = random.Random(self._rng.getrandbits(64))  # noqa: S311
        self._pools = Pools(self._api, options.rate, pool_rng, self.tally)
        self._operations = Operations(self._pools)
        self._shares = shares()
        self._weights = [self._shares[kind] for kind in KINDS]

    async def run(self) -> Tally:
        """Send operations until the duration is over (or the server refuses the run)."""
        loop = asyncio.get_running_loop()
        interval = 1.0 / self.options.rate
        self.tally.started = time.monotonic()
        slots = asyncio.Semaphore(self.options.concurrency)
        try:
            try:
                await self._api.check()
            except Aborted as error:
                self.tally.aborted = str(error)
                return self.tally
            load_reference()
            await self._pools.fill()
            # The clock starts once the first subjects are at hand.
            started = loop.time()
            deadline = started + self.options.duration
            self.tally.started = time.monotonic()
            async with asyncio.TaskGroup() as group:
                next_at = started
                while self.tally.aborted is None and next_at < deadline:
                    if next_at > loop.time():
                        await asyncio.sleep(next_at - loop.time())
                    await slots.acquire()
                    sent_at = loop.time()
                    if self.tally.aborted is not None or sent_at >= deadline:
                        slots.release()
                        break
                    kind = self._rng.choices(KINDS, self._weights)[0]
                    group.create_task(self._operation(slots, kind, self._rng.getrandbits(64)))
                    next_at += interval
                    if next_at < sent_at:
                        # Behind (the server is slower than the rate): go on evenly from
                        # now rather than catch up in a burst.
                        next_at = sent_at + interval
        finally:
            await self._pools.close()
            self.tally.elapsed = time.monotonic() - self.tally.started
        return self.tally

    async def _operation(self, slots: asyncio.Semaphore, kind: str, seed: int) -> None:
        plan = None
        try:
            plan = await self._plan(kind, seed)
            if plan is not None:
                await self._send(plan)
        except Aborted as error:
            self.tally.aborted = self.tally.aborted or str(error)
        except GaveUp as error:
            self.tally.errors[plan.kind if plan is not None else kind] += 1
            self.tally.error_codes[str(error)] += 1
        finally:
            slots.release()

    async def _plan(self, kind: str, seed: int) -> Plan | None:
        """A request for ``kind``, or (nobody suitable) for up to two other kinds."""
        rng = random.Random(seed)  # noqa: S311
        npr = np.random.default_rng(seed)
        tried = [kind]
        while True:
            plan = await self._operations.build(tried[-1], rng, npr)
            if plan is not None:
                return plan
            self.tally.skipped[tried[-1]] += 1
            others = [k for k in KINDS if k not in tried]
            if len(tried) == 3 or not others:
                return None
            tried.append(rng.choices(others, [self._shares[k] for k in others])[0])

    async def _send(self, plan: Plan) -> None:
        response = await self._api.record(plan.kind, plan.body)
        status = response.status_code
        if status == 201:
            self.tally.recorded[plan.kind] += 1
            self.tally.events += len(response.json().get("events", []))
            plan.on_recorded()
            return
        code, detail = problem(response)
        if status in (400, 401, 403) or (status == 404 and code != "CITIZEN_NOT_FOUND"):
            raise Aborted(f"{code} (HTTP {status}) from {PATHS[plan.kind]}: {detail}")
        if status in (404, 409, 422) and code not in ("VALIDATION_FAILED", "MALFORMED_JSON"):
            self.tally.refused[plan.kind] += 1
            self.tally.refusal_codes[code] += 1
        else:  # a request this simulator should not have made
            self.tally.errors[plan.kind] += 1
            self.tally.error_codes[code] += 1


async def simulate(
    options: SimulationOptions,
    *,
    client: httpx.AsyncClient | None = None,
    console: Console | None = None,
    tally: Tally | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Tally:
    """Run a simulation; with ``console``, a live progress line. ``client``: injected
    (e.g. over ``httpx.ASGITransport``), else one for ``options.url``. ``tally`` is
    counted into as the run goes, so an interrupted run can still be summed up."""
    if client is None:
        limits = httpx.Limits(max_connections=options.concurrency + 2)
        async with httpx.AsyncClient(base_url=options.url, timeout=TIMEOUT, limits=limits) as own:
            return await simulate(options, client=own, console=console, tally=tally, sleep=sleep)
    simulator = Simulator(client, options, tally=tally, sleep=sleep)
    if console is None:
        return await simulator.run()
    # One text column: a narrow terminal cuts the line's end (the rare kinds), nothing else.
    column = TextColumn(
        "{task.fields[line]}", table_column=Column(no_wrap=True, overflow="ellipsis")
    )
    with Progress(column, console=console, refresh_per_second=4) as bar:
        task = bar.add_task("simulate", line="starting…")
        running = asyncio.create_task(simulator.run())
        try:
            while not running.done():
                bar.update(task, line=live_line(simulator.tally, options))
                await asyncio.wait({running}, timeout=0.25)
        finally:
            if not running.done():
                running.cancel()
                await asyncio.gather(running, return_exceptions=True)
        bar.update(task, line=live_line(simulator.tally, options))
    return running.result()
