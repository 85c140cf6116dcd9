"""Token buckets in this process's memory: exact for one worker, per worker for several.

With several worker processes each keeps its own buckets, so an agency may
make ``workers × rate`` calls per second (and ``workers × daily quota`` a day);
set ``POPREG_REDIS_URL`` to share one bucket between them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from app.limits.policy import EPSILON, SECONDS_PER_DAY, LimitDecision, LimitPolicy, decide


class _Bucket:
    __slots__ = ("day", "stamp", "tokens", "used")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp
        self.day = -1
        self.used = 0


class InProcessLimiter:
    """Per-agency token bucket on the monotonic clock, daily counter on the UTC wall clock.

    ``hit`` never awaits, so under asyncio no other call interleaves with it and
    it needs no lock.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._wall_clock = wall_clock
        self._buckets: dict[str, _Bucket] = {}

    async def hit(self, agency_code: str, policy: LimitPolicy, cost: int = 1) -> LimitDecision:
        return self.take(agency_code, policy, cost)

    def take(self, agency_code: str, policy: LimitPolicy, cost: int = 1) -> LimitDecision:
        """``hit`` for synchronous callers."""
        if cost < 1:
            raise ValueError(f"cost must be at least 1: {cost}")
        now = self._clock()
        burst = policy.burst
        bucket = self._buckets.get(agency_code)
        if bucket is None:
            bucket = self._buckets[agency_code] = _Bucket(burst, now)
            tokens: float = burst
        else:
            tokens = bucket.tokens + (now - bucket.stamp) * policy.rate
            if tokens > burst:
                tokens = burst
        quota = policy.daily_quota
        to_midnight = 0.0
        used = 0
        day = 0.0
        if quota is not None:
            wall = self._wall_clock()
            day, into_day = divmod(wall, SECONDS_PER_DAY)
            to_midnight = SECONDS_PER_DAY - into_day
            used = bucket.used if bucket.day == day else 0
            if used + cost > quota:
                return decide(
                    policy,
                    cost,
                    allowed=False,
                    tokens=tokens,
                    used=used,
                    seconds_to_midnight=to_midnight,
                )
        # More than the burst (a large batch) passes from a full bucket and leaves it in debt.
        if tokens + EPSILON < (cost if cost < burst else burst):
            return decide(
                policy,
                cost,
                allowed=False,
                tokens=tokens,
                used=used,
                seconds_to_midnight=to_midnight,
            )
        tokens -= cost
        bucket.tokens = tokens
        bucket.stamp = now
        if quota is not None:
            used += cost
            bucket.used = used
            bucket.day = int(day)
        return decide(
            policy, cost, allowed=True, tokens=tokens, used=used, seconds_to_midnight=to_midnight
        )

    async def aclose(self) -> None:
        self._buckets.clear()
