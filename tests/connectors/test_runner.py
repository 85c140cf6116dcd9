"""The runner paces steps and ends on time, even when steps fall behind."""

from __future__ import annotations

import asyncio
import time
from typing import ClassVar

import httpx
import pytest

from connectors import CallLog, Connector, Credentials, RegistryClient, RunPlan, run

pytestmark = pytest.mark.anyio


class Slow(Connector):
    name = "slow"
    title = "A connector whose every step takes half a second"
    agency = "phusa-bank"
    sector = "bank"
    purposes: ClassVar[dict[str, str]] = {}
    tasks: ClassVar[dict[str, int]] = {"wait": 1}

    async def setup(self) -> None:
        self.people = []

    async def wait(self) -> None:
        await asyncio.sleep(0.5)


async def test_a_run_whose_workers_fall_behind_still_ends_on_time() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as http:
        client = RegistryClient(
            http, Credentials("phusa-bank", "prk_x"), connector="slow", log=CallLog()
        )
        started = time.monotonic()
        result = await run(Slow(client), RunPlan(rate=50, seconds=1.0, concurrency=2))
    elapsed = time.monotonic() - started
    # 50 steps were due; 2 workers at 0.5 s a step manage about 4 before the time is up.
    assert elapsed < 2.0
    assert 2 <= result.steps <= 6
