"""Limit policies and the decisions limiters take: pure values, no I/O.

A policy is a token bucket (``burst`` tokens, refilled at ``rate`` per second)
plus an optional daily quota counted per UTC day. Every limiter backend turns
its state into a ``LimitDecision`` with ``decide``, so they all answer alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

SECONDS_PER_DAY = 86_400
# Float refills can land a hair under a whole token (0.1 * 10 = 0.9999…).
EPSILON = 1e-9

LimitKind = Literal["rate", "quota"]


@dataclass(frozen=True, slots=True)
class LimitPolicy:
    """How much one agency may call: ``rate`` per second, ``burst`` at once, a daily quota."""

    rate: float = 50.0
    burst: int = 100
    daily_quota: int | None = None  # None: unlimited

    def __post_init__(self) -> None:
        if not (self.rate > 0 and math.isfinite(self.rate)):
            raise ValueError(f"rate must be a positive number of requests per second: {self.rate}")
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1: {self.burst}")
        if self.daily_quota is not None and self.daily_quota < 0:
            raise ValueError(f"daily_quota must be 0 or more, or None: {self.daily_quota}")


DEFAULT_LIMITS = LimitPolicy()


# Not frozen: a frozen dataclass takes three times as long to build, on every call.
@dataclass(slots=True)
class LimitDecision:
    """Whether one request may pass, and what to tell the caller about the tighter limit.

    ``limit``, ``remaining`` and ``reset_seconds`` describe the limit closest to
    exhaustion (``limited_by``); when a request is refused, ``limited_by`` is the
    limit that refused it and ``retry_after_seconds`` says when it could pass.
    """

    allowed: bool
    limited_by: LimitKind
    limit: int
    remaining: int
    reset_seconds: float
    retry_after_seconds: float
    policy: LimitPolicy


def decide(
    policy: LimitPolicy,
    cost: int,
    *,
    allowed: bool,
    tokens: float,
    used: int,
    seconds_to_midnight: float,
) -> LimitDecision:
    """The decision for a bucket holding ``tokens`` and a quota with ``used`` (after the hit).

    A refusal by the quota takes precedence: it is the longer wait.
    """
    rate, burst, quota = policy.rate, policy.burst, policy.daily_quota
    rate_remaining = int(tokens + EPSILON) if tokens > 0 else 0
    quota_remaining = quota - used if quota is not None and used < quota else 0
    # Report the limit closest to exhaustion; a refusal names the limit that refused.
    if quota is not None and (quota_remaining < rate_remaining if allowed else used + cost > quota):
        return LimitDecision(
            allowed=allowed,
            limited_by="quota",
            limit=quota,
            remaining=quota_remaining,
            reset_seconds=seconds_to_midnight,
            retry_after_seconds=0.0 if allowed else seconds_to_midnight,
            policy=policy,
        )
    # An over-burst request (a large batch) waits for a full bucket, not for more than it holds.
    need = cost if cost < burst else burst
    return LimitDecision(
        allowed=allowed,
        limited_by="rate",
        limit=burst,
        remaining=rate_remaining,
        reset_seconds=(burst - tokens) / rate if tokens < burst else 0.0,
        retry_after_seconds=0.0 if allowed else max(need - tokens, 0.0) / rate,
        policy=policy,
    )


def whole_seconds(seconds: float) -> int:
    """Delta-seconds for a header: rounded up, so a client that waits is let through."""
    return max(math.ceil(seconds - EPSILON), 0)


def policy_field(policy: LimitPolicy) -> str:
    """``RateLimit-Policy``: the bucket as ``burst;w=seconds to refill it`` and the daily quota.

    The window is rounded up, so a client pacing itself by it never exceeds the rate.
    """
    window = max(whole_seconds(policy.burst / policy.rate), 1)
    text = f"{policy.burst};w={window}"
    if policy.daily_quota is not None:
        text += f", {policy.daily_quota};w={SECONDS_PER_DAY}"
    return text


def rate_limit_headers(decision: LimitDecision) -> dict[str, str]:
    """``RateLimit-*`` fields (draft-ietf-httpapi-ratelimit-headers-06) for any response."""
    return {
        "RateLimit-Limit": str(decision.limit),
        "RateLimit-Remaining": str(decision.remaining),
        "RateLimit-Reset": str(whole_seconds(decision.reset_seconds)),
        "RateLimit-Policy": policy_field(decision.policy),
    }
