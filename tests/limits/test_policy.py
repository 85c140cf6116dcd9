"""Limit policies, decisions, headers and the 429 problems built from them."""

import pytest

from app.limits import (
    LimitPolicy,
    QuotaExceededError,
    RateLimitedError,
    limit_exceeded,
    rate_limit_headers,
)
from app.limits.policy import decide, policy_field, whole_seconds


@pytest.mark.parametrize(
    "kwargs",
    [{"rate": 0}, {"rate": -1}, {"rate": float("inf")}, {"burst": 0}, {"daily_quota": -1}],
)
def test_a_policy_refuses_impossible_limits(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        LimitPolicy(**kwargs)  # type: ignore[arg-type]


def test_defaults_match_the_agency_table_defaults() -> None:
    assert LimitPolicy() == LimitPolicy(rate=50.0, burst=100, daily_quota=None)


def test_the_tighter_limit_is_reported() -> None:
    policy = LimitPolicy(rate=10, burst=100, daily_quota=1000)
    plenty = decide(policy, 1, allowed=True, tokens=40.5, used=10, seconds_to_midnight=60)
    assert (plenty.limited_by, plenty.limit, plenty.remaining) == ("rate", 100, 40)
    assert plenty.reset_seconds == pytest.approx(5.95)
    nearly_out = decide(policy, 1, allowed=True, tokens=40.5, used=995, seconds_to_midnight=60)
    assert (nearly_out.limited_by, nearly_out.limit, nearly_out.remaining) == ("quota", 1000, 5)
    assert nearly_out.reset_seconds == 60


def test_headers_of_an_admitted_call() -> None:
    policy = LimitPolicy(rate=50, burst=100, daily_quota=10_000)
    decision = decide(policy, 1, allowed=True, tokens=97.2, used=12, seconds_to_midnight=3600)
    assert rate_limit_headers(decision) == {
        "RateLimit-Limit": "100",
        "RateLimit-Remaining": "97",
        "RateLimit-Reset": "1",
        "RateLimit-Policy": "100;w=2, 10000;w=86400",
    }


def test_the_policy_window_is_rounded_up() -> None:
    # 100 / 30 = 3.33 s; advertising 3 s would invite 33/s, so it says 4 s.
    assert policy_field(LimitPolicy(rate=30, burst=100)) == "100;w=4"
    assert policy_field(LimitPolicy(rate=1000, burst=10)) == "10;w=1"


def test_whole_seconds_round_up_but_forgive_float_noise() -> None:
    assert whole_seconds(0.01) == 1
    assert whole_seconds(2.0000000000001) == 2
    assert whole_seconds(0) == 0


def test_a_rate_refusal_says_when_to_retry() -> None:
    policy = LimitPolicy(rate=2, burst=4)
    decision = decide(policy, 1, allowed=False, tokens=0.25, used=0, seconds_to_midnight=9)
    assert decision.retry_after_seconds == pytest.approx(0.375)
    error = limit_exceeded(decision, "phusa-bank")
    assert type(error) is RateLimitedError
    assert (error.status_code, error.code) == (429, "RATE_LIMITED")
    assert error.headers["Retry-After"] == "1"
    assert error.headers["RateLimit-Remaining"] == "0"
    assert error.headers["RateLimit-Limit"] == "4"
    assert "2 calls per second (burst 4)" in error.detail
    assert "Retry in 1 s" in error.detail
    assert error.extensions == {"limit": "rate", "retry_after": 1}


def test_a_quota_refusal_is_quota_exceeded_until_midnight() -> None:
    policy = LimitPolicy(rate=50, burst=100, daily_quota=5000)
    decision = decide(policy, 3, allowed=False, tokens=100, used=4999, seconds_to_midnight=7250.5)
    error = limit_exceeded(decision, "phusa-bank", cost=3)
    assert isinstance(error, QuotaExceededError)
    assert (error.status_code, error.code) == (429, "QUOTA_EXCEEDED")
    assert error.headers["Retry-After"] == "7251"
    assert error.headers["RateLimit-Limit"] == "5000"
    assert error.headers["RateLimit-Remaining"] == "1"
    assert "daily quota of 5,000 calls" in error.detail
    assert "counts as 3 calls" in error.detail
    assert "retry in 2 h 01 min" in error.detail


def test_an_over_burst_request_is_explained() -> None:
    policy = LimitPolicy(rate=50, burst=100)
    decision = decide(policy, 1000, allowed=False, tokens=60, used=0, seconds_to_midnight=9)
    assert decision.retry_after_seconds == pytest.approx(0.8)  # until the bucket is full
    error = limit_exceeded(decision, "saomai-telecom", cost=1000)
    assert "more than the burst of 100" in error.detail
    assert "18 s of the rate" in error.detail
