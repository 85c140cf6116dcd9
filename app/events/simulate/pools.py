"""Candidate pools: citizens sampled through ``GET /v1/sandbox/citizens/sample``, by filter.

Each operation draws its subjects from one or two pools (mothers from wives, the
dead mostly from the elderly, ...); a pool fetches batches ahead of need and hands
out each candidate at most once.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from app.events.simulate.api import Aborted, Candidate, GaveUp, RegistryApi
from app.events.simulate.mix import shares
from app.events.simulate.options import Tally

UNMARRIED = ["single", "divorced", "widowed"]
# Who each operation draws its subjects from: sample filters, and the share of the
# operation's draws that use the pool (to size the batches fetched).
POOLS: dict[str, dict[str, Any]] = {
    "wives": {"sex": "female", "min_age": 18, "max_age": 45, "marital_status": ["married"]},
    "unwed_mothers": {"sex": "female", "min_age": 18, "max_age": 45, "marital_status": UNMARRIED},
    "elderly": {"min_age": 60},
    "anyone": {},
    "grooms": {"sex": "male", "min_age": 20, "max_age": 45, "marital_status": UNMARRIED},
    "brides": {"sex": "female", "min_age": 18, "max_age": 40, "marital_status": UNMARRIED},
    "husbands": {"sex": "male", "min_age": 20, "marital_status": ["married"]},
    "card_holders": {"min_age": 14},
    "adults": {"min_age": 18},
}
POOL_USE: dict[str, dict[str, float]] = {
    "birth": {"wives": 0.92, "unwed_mothers": 0.08},
    "death": {"elderly": 0.8, "anyone": 0.2},
    "residence_change": {"anyone": 1.0},
    "marriage": {"grooms": 1.0, "brides": 1.0},
    "divorce": {"husbands": 1.0},
    "name_change": {"anyone": 1.0},
    "card_reissue": {"card_holders": 1.0},
    "id_correction": {"adults": 1.0},
}
DRY_SECONDS = 10.0  # a pool that sampled nobody usable rests this long


class Pools:
    """Sampled candidates per pool, fetched in batches ahead of need, each used at most once."""

    def __init__(self, api: RegistryApi, rate: float, rng: random.Random, tally: Tally) -> None:
        self._api, self._rng, self._tally = api, rng, tally
        self._queues: dict[str, deque[Candidate]] = {name: deque() for name in POOLS}
        self._locks = {name: asyncio.Lock() for name in POOLS}
        self._dry_until: dict[str, float] = {}
        self._ahead: set[asyncio.Task[None]] = set()
        # About a minute of use per batch, between 10 and 500 (the endpoint's limit).
        kind_shares = shares()
        per_second = {
            name: rate
            * sum(kind_shares[kind] * use.get(name, 0.0) for kind, use in POOL_USE.items())
            for name in POOLS
        }
        self._batch = {name: min(500, max(10, round(60 * n))) for name, n in per_second.items()}

    async def fill(self) -> None:
        """Every pool's first batch, before the clock starts."""
        await asyncio.gather(*(self._fetch_ahead(name, below=1) for name in POOLS))

    async def take(self, name: str, usable: Callable[[Candidate], bool]) -> Candidate | None:
        found = self._pop(name, usable)
        if found is None and time.monotonic() >= self._dry_until.get(name, 0.0):
            await self._fetch(name, below=1)
            found = self._pop(name, usable)
            if found is None:
                self._dry_until[name] = time.monotonic() + DRY_SECONDS
        if len(self._queues[name]) < self._batch[name] // 4 and not self._locks[name].locked():
            # Fetch the next batch before the pool runs dry, so no request waits for it.
            task = asyncio.create_task(self._fetch_ahead(name, self._batch[name] // 4))
            self._ahead.add(task)
            task.add_done_callback(self._ahead.discard)
        return found

    async def close(self) -> None:
        for task in self._ahead:
            task.cancel()
        await asyncio.gather(*self._ahead, return_exceptions=True)

    async def _fetch(self, name: str, below: int) -> None:
        async with self._locks[name]:
            resting = time.monotonic() < self._dry_until.get(name, 0.0)
            if resting or len(self._queues[name]) >= below:
                return  # resting, or filled meanwhile
            filters = {**POOLS[name], "count": self._batch[name], "seed": self._rng.getrandbits(31)}
            self._queues[name].extend(await self._api.sample(filters))

    async def _fetch_ahead(self, name: str, below: int) -> None:
        try:
            await self._fetch(name, below)
        except GaveUp:
            pass  # the next take that finds the pool empty tries again
        except Aborted as error:
            self._tally.aborted = self._tally.aborted or str(error)

    def _pop(self, name: str, usable: Callable[[Candidate], bool]) -> Candidate | None:
        queue = self._queues[name]
        while queue:
            candidate = queue.popleft()
            if usable(candidate):
                return candidate
        return None
