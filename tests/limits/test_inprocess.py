"""The in-process token bucket and daily quota, on clocks the tests move by hand."""

import pytest

from app.limits import InProcessLimiter, LimitPolicy

pytestmark = pytest.mark.anyio
DAY = 86_400
# 2026-11-22 01:00:00 UTC, so midnight is 23 hours away.
WALL_START = 20_414 * DAY + 3_600


class Clocks:
    def __init__(self) -> None:
        self.monotonic = 1_000.0
        self.wall = float(WALL_START)

    def advance(self, seconds: float) -> None:
        self.monotonic += seconds
        self.wall += seconds


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
def limiter(clocks: Clocks) -> InProcessLimiter:
    return InProcessLimiter(clock=lambda: clocks.monotonic, wall_clock=lambda: clocks.wall)


async def test_a_full_bucket_admits_the_burst_then_refuses(limiter: InProcessLimiter) -> None:
    policy = LimitPolicy(rate=10, burst=5)
    remaining = []
    for _ in range(5):
        decision = await limiter.hit("phusa-bank", policy)
        assert decision.allowed
        remaining.append(decision.remaining)
    assert remaining == [4, 3, 2, 1, 0]
    refused = await limiter.hit("phusa-bank", policy)
    assert not refused.allowed
    assert refused.limited_by == "rate"
    assert refused.retry_after_seconds == pytest.approx(0.1)
    assert refused.reset_seconds == pytest.approx(0.5)


async def test_the_bucket_refills_at_the_rate(limiter: InProcessLimiter, clocks: Clocks) -> None:
    policy = LimitPolicy(rate=10, burst=5)
    for _ in range(5):
        await limiter.hit("phusa-bank", policy)
    clocks.advance(0.05)
    early = await limiter.hit("phusa-bank", policy)
    assert not early.allowed
    assert early.retry_after_seconds == pytest.approx(0.05)
    clocks.advance(0.05)
    assert (await limiter.hit("phusa-bank", policy)).allowed
    assert not (await limiter.hit("phusa-bank", policy)).allowed
    clocks.advance(60)  # refills to the burst, not beyond it
    admitted = [(await limiter.hit("phusa-bank", policy)).allowed for _ in range(7)]
    assert admitted == [True] * 5 + [False] * 2


async def test_refused_calls_take_nothing(limiter: InProcessLimiter, clocks: Clocks) -> None:
    policy = LimitPolicy(rate=10, burst=1)
    await limiter.hit("phusa-bank", policy)
    for _ in range(50):  # a client hammering too early is not pushed further back
        await limiter.hit("phusa-bank", policy)
    clocks.advance(0.1)
    assert (await limiter.hit("phusa-bank", policy)).allowed


async def test_a_cost_takes_that_many_tokens(limiter: InProcessLimiter, clocks: Clocks) -> None:
    policy = LimitPolicy(rate=2, burst=10)
    first = await limiter.hit("saomai-telecom", policy, cost=4)
    assert (first.allowed, first.remaining) == (True, 6)
    second = await limiter.hit("saomai-telecom", policy, cost=4)
    assert (second.allowed, second.remaining) == (True, 2)
    refused = await limiter.hit("saomai-telecom", policy, cost=4)
    assert not refused.allowed
    assert refused.retry_after_seconds == pytest.approx(1.0)  # 2 more tokens at 2/s
    assert (await limiter.hit("saomai-telecom", policy, cost=2)).allowed
    clocks.advance(2.0)
    assert (await limiter.hit("saomai-telecom", policy, cost=4)).allowed


async def test_a_batch_larger_than_the_burst_leaves_the_bucket_in_debt(
    limiter: InProcessLimiter, clocks: Clocks
) -> None:
    policy = LimitPolicy(rate=50, burst=100)
    assert (await limiter.hit("saomai-telecom", policy, cost=1000)).allowed
    refused = await limiter.hit("saomai-telecom", policy)
    assert not refused.allowed
    assert refused.retry_after_seconds == pytest.approx(901 / 50)
    clocks.advance(17.9)
    assert not (await limiter.hit("saomai-telecom", policy)).allowed
    clocks.advance(0.2)
    assert (await limiter.hit("saomai-telecom", policy)).allowed
    # The next big batch waits for a full bucket again.
    clocks.advance(1.0)
    assert not (await limiter.hit("saomai-telecom", policy, cost=1000)).allowed


async def test_agencies_have_their_own_buckets(limiter: InProcessLimiter) -> None:
    policy = LimitPolicy(rate=1, burst=1)
    assert (await limiter.hit("phusa-bank", policy)).allowed
    assert not (await limiter.hit("phusa-bank", policy)).allowed
    assert (await limiter.hit("saomai-telecom", policy)).allowed


async def test_the_daily_quota_refuses_until_midnight_utc(
    limiter: InProcessLimiter, clocks: Clocks
) -> None:
    policy = LimitPolicy(rate=1000, burst=1000, daily_quota=3)
    decisions = [await limiter.hit("phusa-bank", policy) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True] * 3
    assert [(d.limited_by, d.remaining) for d in decisions] == [
        ("quota", 2),
        ("quota", 1),
        ("quota", 0),
    ]
    refused = await limiter.hit("phusa-bank", policy)
    assert not refused.allowed
    assert refused.limited_by == "quota"
    assert refused.retry_after_seconds == pytest.approx(23 * 3600)
    clocks.advance(23 * 3600 - 1)
    assert not (await limiter.hit("phusa-bank", policy)).allowed
    clocks.advance(1)
    assert (await limiter.hit("phusa-bank", policy)).allowed


async def test_a_cost_counts_against_the_quota(limiter: InProcessLimiter) -> None:
    policy = LimitPolicy(rate=1000, burst=1000, daily_quota=10)
    assert (await limiter.hit("phusa-bank", policy, cost=8)).allowed
    refused = await limiter.hit("phusa-bank", policy, cost=3)
    assert (refused.allowed, refused.limited_by, refused.remaining) == (False, "quota", 2)
    assert (await limiter.hit("phusa-bank", policy, cost=2)).allowed


async def test_quota_and_bucket_charge_only_admitted_calls(
    limiter: InProcessLimiter, clocks: Clocks
) -> None:
    policy = LimitPolicy(rate=1, burst=2, daily_quota=3)
    assert (await limiter.hit("phusa-bank", policy, cost=2)).allowed
    rate_refused = await limiter.hit("phusa-bank", policy)
    assert (rate_refused.allowed, rate_refused.limited_by) == (False, "rate")
    clocks.advance(2)
    assert (await limiter.hit("phusa-bank", policy)).allowed  # quota still had 1 left
    quota_refused = await limiter.hit("phusa-bank", policy)
    assert (quota_refused.allowed, quota_refused.limited_by) == (False, "quota")
    assert quota_refused.remaining == 0


async def test_a_new_day_starts_from_zero_even_after_a_rate_refusal(
    limiter: InProcessLimiter, clocks: Clocks
) -> None:
    policy = LimitPolicy(rate=1, burst=1, daily_quota=2)
    assert (await limiter.hit("phusa-bank", policy)).allowed
    clocks.advance(23 * 3600 - 0.5)  # 23:59:59.5, the day's second and last call
    assert (await limiter.hit("phusa-bank", policy)).allowed
    clocks.advance(0.6)  # the new day, but the bucket is not refilled yet
    refused = await limiter.hit("phusa-bank", policy)
    assert (refused.allowed, refused.limited_by) == (False, "rate")
    clocks.advance(1)
    assert (await limiter.hit("phusa-bank", policy)).allowed  # the new day's first call
    clocks.advance(1)
    assert (await limiter.hit("phusa-bank", policy)).allowed
    clocks.advance(1)
    over = await limiter.hit("phusa-bank", policy)
    assert (over.allowed, over.limited_by) == (False, "quota")


async def test_a_lower_burst_caps_a_fuller_bucket(limiter: InProcessLimiter) -> None:
    await limiter.hit("phusa-bank", LimitPolicy(rate=1, burst=100))
    lowered = await limiter.hit("phusa-bank", LimitPolicy(rate=1, burst=3))
    assert (lowered.allowed, lowered.remaining) == (True, 2)


async def test_cost_must_be_positive(limiter: InProcessLimiter) -> None:
    with pytest.raises(ValueError):
        await limiter.hit("phusa-bank", LimitPolicy(), cost=0)


async def test_two_workers_without_redis_each_admit_their_own_burst() -> None:
    """Why several workers need POPREG_REDIS_URL: each process has its own bucket."""
    policy = LimitPolicy(rate=0.001, burst=10)
    workers = [InProcessLimiter(), InProcessLimiter()]
    admitted = 0
    for worker in workers:
        for _ in range(20):
            admitted += (await worker.hit("phusa-bank", policy)).allowed
    assert admitted == 2 * policy.burst
