"""Failure windows: in memory on a clock the tests move, and in Redis shared by two counters."""

from __future__ import annotations

import pytest

from app.limits import failures
from app.limits.failures import InProcessFailures


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_the_window_opens_at_the_first_failure_and_locks_at_the_limit() -> None:
    clock = Clock()
    counter = InProcessFailures(clock=clock)
    assert counter.idle
    assert counter.take("ip:a", limit=3, window=60) is None
    clock.now += 30
    assert counter.take("ip:a", limit=3, window=60) is None
    assert counter.locked("ip:a") is None
    assert counter.take("ip:a", limit=3, window=60) == pytest.approx(30)
    assert counter.locked("ip:a") == pytest.approx(30)
    assert counter.locked("ip:b") is None
    clock.now += 30
    assert counter.locked("ip:a") is None  # the window ended: a fresh start
    assert counter.take("ip:a", limit=3, window=60) is None
    assert not counter.idle


def test_failures_spread_wider_than_the_window_never_lock() -> None:
    clock = Clock()
    counter = InProcessFailures(clock=clock)
    for _ in range(10):
        assert counter.take("key:prk_00000000", limit=3, window=60) is None
        clock.now += 31
        assert counter.take("key:prk_00000000", limit=3, window=60) is None
        clock.now += 30


def test_memory_stays_bounded_under_failures_from_many_addresses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(failures, "MAX_TRACKED_KEYS", 100)
    clock = Clock()
    counter = InProcessFailures(clock=clock)
    counter.take("ip:locked", limit=1, window=600)
    for n in range(1000):
        counter.take(f"ip:{n}", limit=5, window=60)
        assert len(counter._windows) <= 100
    clock.now += 61
    counter.take("ip:late", limit=5, window=60)  # sweeps the ended windows first
    assert len(counter._windows) <= 100


@pytest.mark.anyio
async def test_redis_counts_are_shared_and_locks_learned(redis_url: str, redis_prefix: str) -> None:
    from app.limits.redis_failures import RedisFailures

    one = RedisFailures.from_url(redis_url, prefix=redis_prefix)
    two = RedisFailures.from_url(redis_url, prefix=redis_prefix)
    try:
        assert await one.fail("citizen:x", limit=3, window=60) is None
        assert await two.fail("citizen:x", limit=3, window=60) is None
        assert await two.check("citizen:x", limit=3) is None
        seconds = await one.fail("citizen:x", limit=3, window=60)
        assert seconds is not None
        assert 0 < seconds <= 60
        assert one.locked("citizen:x") is not None  # learned with its own failure
        assert two.locked("citizen:x") is None  # the other process has not heard yet…
        assert await two.check("citizen:x", limit=3) is not None  # …until it asks Redis
        assert two.locked("citizen:x") is not None
    finally:
        await one.aclose()
        await two.aclose()


@pytest.mark.anyio
async def test_without_redis_failures_are_counted_per_process(redis_prefix: str) -> None:
    from app.limits.redis_failures import RedisFailures

    counter = RedisFailures.from_url("redis://127.0.0.1:1/0", prefix=redis_prefix)
    try:
        assert await counter.fail("ip:a", limit=2, window=60) is None
        assert await counter.fail("ip:a", limit=2, window=60) is not None
        assert await counter.check("ip:a", limit=2) is not None
    finally:
        await counter.aclose()
