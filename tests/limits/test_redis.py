"""The Redis limiter against a real Redis: same answers as in memory, on the server's clock."""

from __future__ import annotations

import logging
import time

import anyio
import pytest
import redis

from app.limits import LimitPolicy
from app.limits.redis_limiter import RedisLimiter

pytestmark = pytest.mark.anyio
DAY = 86_400


async def test_a_full_bucket_admits_the_burst_then_refuses(redis_limiter: RedisLimiter) -> None:
    policy = LimitPolicy(rate=1, burst=5)
    decisions = [await redis_limiter.hit("phusa-bank", policy) for _ in range(5)]
    assert [d.allowed for d in decisions] == [True] * 5
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0]
    refused = await redis_limiter.hit("phusa-bank", policy)
    assert (refused.allowed, refused.limited_by, refused.limit) == (False, "rate", 5)
    assert 0.8 < refused.retry_after_seconds <= 1.0


async def test_a_refused_call_passes_after_retry_after(redis_limiter: RedisLimiter) -> None:
    policy = LimitPolicy(rate=20, burst=2)
    for _ in range(2):
        assert (await redis_limiter.hit("phusa-bank", policy)).allowed
    refused = await redis_limiter.hit("phusa-bank", policy)
    assert not refused.allowed
    assert 0 < refused.retry_after_seconds <= 0.05
    await anyio.sleep(refused.retry_after_seconds + 0.005)
    assert (await redis_limiter.hit("phusa-bank", policy)).allowed


async def test_a_cost_takes_that_many_tokens(redis_limiter: RedisLimiter) -> None:
    policy = LimitPolicy(rate=1, burst=10)
    assert (await redis_limiter.hit("saomai-telecom", policy, cost=4)).remaining == 6
    assert (await redis_limiter.hit("saomai-telecom", policy, cost=4)).remaining == 2
    refused = await redis_limiter.hit("saomai-telecom", policy, cost=4)
    assert not refused.allowed
    assert 1.8 < refused.retry_after_seconds <= 2.0
    assert (await redis_limiter.hit("saomai-telecom", policy, cost=2)).allowed


async def test_a_batch_larger_than_the_burst_leaves_debt(redis_limiter: RedisLimiter) -> None:
    policy = LimitPolicy(rate=50, burst=100)
    assert (await redis_limiter.hit("saomai-telecom", policy, cost=1000)).allowed
    refused = await redis_limiter.hit("saomai-telecom", policy)
    assert not refused.allowed
    assert refused.retry_after_seconds == pytest.approx(901 / 50, abs=0.1)


async def test_the_daily_quota_refuses_until_midnight_utc(redis_limiter: RedisLimiter) -> None:
    policy = LimitPolicy(rate=1000, burst=1000, daily_quota=3)
    decisions = [await redis_limiter.hit("phusa-bank", policy) for _ in range(3)]
    assert [(d.allowed, d.limited_by, d.remaining) for d in decisions] == [
        (True, "quota", 2),
        (True, "quota", 1),
        (True, "quota", 0),
    ]
    refused = await redis_limiter.hit("phusa-bank", policy, cost=1)
    assert (refused.allowed, refused.limited_by) == (False, "quota")
    to_midnight = DAY - time.time() % DAY
    assert refused.retry_after_seconds == pytest.approx(to_midnight, abs=2)


async def test_agencies_have_their_own_buckets(redis_limiter: RedisLimiter) -> None:
    policy = LimitPolicy(rate=0.01, burst=1)
    assert (await redis_limiter.hit("phusa-bank", policy)).allowed
    assert not (await redis_limiter.hit("phusa-bank", policy)).allowed
    assert (await redis_limiter.hit("saomai-telecom", policy)).allowed


async def test_keys_expire_once_the_bucket_would_be_full(
    redis_limiter: RedisLimiter, redis_url: str
) -> None:
    await redis_limiter.hit("phusa-bank", LimitPolicy(rate=10, burst=5), cost=5)
    await redis_limiter.hit("saomai-telecom", LimitPolicy(rate=10, burst=5, daily_quota=100))
    client = redis.Redis.from_url(redis_url)
    try:
        bucket_ttl = client.pttl(redis_limiter.key("phusa-bank"))
        quota_ttl = client.pttl(redis_limiter.key("saomai-telecom"))
    finally:
        client.close()
    assert 0 < bucket_ttl <= 1_500  # refilled in 0.5 s, plus a second of margin
    # With a quota the count must outlive the day.
    assert quota_ttl / 1000 == pytest.approx(DAY - time.time() % DAY + 1, abs=3)


async def test_without_redis_the_limits_hold_per_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = RedisLimiter.from_url("redis://127.0.0.1:1/0", prefix="popreg-test:absent")
    policy = LimitPolicy(rate=0.01, burst=2)
    try:
        with caplog.at_level(logging.WARNING, logger="popreg.limits"):
            admitted = [(await limiter.hit("phusa-bank", policy)).allowed for _ in range(3)]
    finally:
        await limiter.aclose()
    assert admitted == [True, True, False]
    warnings = [r for r in caplog.records if r.name == "popreg.limits"]
    assert len(warnings) == 1  # once, not once per call
    assert "per process" in warnings[0].getMessage()
