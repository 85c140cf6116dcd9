"""Counting failed credentials (brute-force throttling), in memory or in Redis.

Failures are counted per key (a client address, a key prefix, a hashed personal
ID) in a window that opens at the first failure and lasts ``window`` seconds.
A key with ``limit`` failures in its window is locked until the window ends:
every attempt under it, right or wrong, is refused (app/auth/throttle.py).

With Redis the counts are shared by every worker. Checking Redis on each
request would cost a round trip, so the hot path asks only what this process
knows (``locked``); a worker learns of a lock when it counts a failure of its
own or when a caller asks Redis (``check``). So past the limit, each worker
evaluates at most about one more attempt (one per concurrent request) before
it refuses them too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

MAX_TRACKED_KEYS = 100_000  # past this, expired windows are swept, then the oldest dropped


class FailureCounter(Protocol):
    @property
    def idle(self) -> bool:
        """Whether this process tracks no failure at all (then nothing is locked)."""
        ...

    def locked(self, key: str) -> float | None:
        """Seconds ``key`` stays locked, as far as this process knows; None if not locked."""
        ...

    async def check(self, key: str, limit: int) -> float | None:
        """Seconds ``key`` stays locked, asking the shared store; None if not locked."""
        ...

    async def fail(self, key: str, limit: int, window: float) -> float | None:
        """Count one failure; the seconds ``key`` is now locked for, or None."""
        ...

    async def aclose(self) -> None: ...


class InProcessFailures:
    """Failure windows in this process's memory (exact for one worker, per worker for more)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[str, list[float]] = {}  # key → [failures, window end, limit]

    @property
    def idle(self) -> bool:
        return not self._windows

    def locked(self, key: str) -> float | None:
        if not self._windows:  # the usual case: nobody failed lately
            return None
        window = self._windows.get(key)
        if window is None:
            return None
        left = window[1] - self._clock()
        if left <= 0:
            self._windows.pop(key, None)
            return None
        return left if window[0] >= window[2] else None

    async def check(self, key: str, limit: int) -> float | None:
        return self.locked(key)

    async def fail(self, key: str, limit: int, window: float) -> float | None:
        return self.take(key, limit, window)

    def take(self, key: str, limit: int, window: float) -> float | None:
        """``fail`` for synchronous callers."""
        now = self._clock()
        entry = self._windows.get(key)
        if entry is None or entry[1] <= now:
            if len(self._windows) >= MAX_TRACKED_KEYS:
                self._sweep(now)
            entry = self._windows[key] = [0, now + window, limit]
        entry[0] += 1
        return entry[1] - now if entry[0] >= limit else None

    def learn(self, key: str, seconds: float, limit: int) -> None:
        """Record a lock the shared store reported."""
        if len(self._windows) >= MAX_TRACKED_KEYS:
            self._sweep(self._clock())
        self._windows[key] = [limit, self._clock() + seconds, limit]

    def _sweep(self, now: float) -> None:
        for key in [k for k, w in self._windows.items() if w[1] <= now]:
            del self._windows[key]
        excess = len(self._windows) - MAX_TRACKED_KEYS // 2
        if excess > 0:  # many keys at once (an attack from many addresses): oldest first
            for key in list(self._windows)[:excess]:
                del self._windows[key]

    async def aclose(self) -> None:
        self._windows.clear()


def build_failure_counter(redis_url: str | None) -> FailureCounter:
    """Redis when a URL is configured (several workers), else this process's memory."""
    if redis_url:
        # Imported here: redis is an optional dependency (the `redis` extra).
        from app.limits.redis_failures import RedisFailures

        return RedisFailures.from_url(redis_url)
    return InProcessFailures()
