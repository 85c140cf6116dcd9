"""Per-agency rate limits (token bucket) and daily quotas, in memory or in Redis."""

from app.limits.base import Limiter
from app.limits.errors import QuotaExceededError, RateLimitedError, limit_exceeded
from app.limits.inprocess import InProcessLimiter
from app.limits.middleware import STATE_KEY, RateLimitHeadersMiddleware
from app.limits.policy import DEFAULT_LIMITS, LimitDecision, LimitPolicy, rate_limit_headers
from app.limits.service import admit, admit_call, admit_request, build_limiter

__all__ = [
    "DEFAULT_LIMITS",
    "STATE_KEY",
    "InProcessLimiter",
    "LimitDecision",
    "LimitPolicy",
    "Limiter",
    "QuotaExceededError",
    "RateLimitHeadersMiddleware",
    "RateLimitedError",
    "admit",
    "admit_call",
    "admit_request",
    "build_limiter",
    "limit_exceeded",
    "rate_limit_headers",
]
