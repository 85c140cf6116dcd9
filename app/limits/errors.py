"""429 answers: over the rate (``RATE_LIMITED``) or over the daily quota (``QUOTA_EXCEEDED``)."""

from __future__ import annotations

from http import HTTPStatus

from app.limits.policy import LimitDecision, rate_limit_headers, whole_seconds
from app.problems import ProblemError


class RateLimitedError(ProblemError):
    status_code = HTTPStatus.TOO_MANY_REQUESTS
    code = "RATE_LIMITED"
    title = "Too Many Requests"


class QuotaExceededError(RateLimitedError):
    code = "QUOTA_EXCEEDED"


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    hours, minutes = divmod(-(-seconds // 60), 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def limit_exceeded(decision: LimitDecision, agency_code: str, cost: int = 1) -> RateLimitedError:
    """The 429 for a refused ``decision``, with ``Retry-After`` and ``RateLimit-*`` headers."""
    retry_after = max(whole_seconds(decision.retry_after_seconds), 1)
    headers = {"Retry-After": str(retry_after), **rate_limit_headers(decision)}
    extensions = {"limit": decision.limited_by, "retry_after": retry_after}
    policy = decision.policy
    counts = f" This request counts as {cost} calls." if cost > 1 else ""
    if decision.limited_by == "quota":
        return QuotaExceededError(
            f"Agency {agency_code!r} has used its daily quota of {policy.daily_quota:,} calls."
            f"{counts} The quota resets at 00:00 UTC: retry in {_duration(retry_after)}.",
            headers=headers,
            extensions=extensions,
        )
    if cost > policy.burst:
        counts += (
            f" That is more than the burst of {policy.burst}: it passes once the bucket is full"
            f" again, and its calls beyond the burst use up the following "
            f"{(cost - policy.burst) / policy.rate:.0f} s of the rate."
        )
    return RateLimitedError(
        f"Agency {agency_code!r} is over its rate limit of {policy.rate:g} calls per second"
        f" (burst {policy.burst}).{counts} Retry in {_duration(retry_after)}.",
        headers=headers,
        extensions=extensions,
    )
