"""Choosing the limiter backend, and admitting a call or refusing it with a 429."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.limits.base import Limiter
from app.limits.errors import limit_exceeded
from app.limits.inprocess import InProcessLimiter
from app.limits.middleware import STATE_KEY
from app.limits.policy import LimitDecision, LimitPolicy

if TYPE_CHECKING:  # app.auth imports app.limits: no import cycle at run time
    from starlette.requests import Request

    from app.auth.principal import Principal


def build_limiter(settings_redis_url: str | None) -> Limiter:
    """Redis when a URL is configured (several workers), else this process's memory."""
    if settings_redis_url:
        # Imported here: redis is an optional dependency (the `redis` extra).
        from app.limits.redis_limiter import RedisLimiter

        return RedisLimiter.from_url(settings_redis_url)
    return InProcessLimiter()


async def admit(
    limiter: Limiter, agency_code: str, policy: LimitPolicy, cost: int = 1
) -> LimitDecision:
    """The decision for a call that may pass; raises the 429 for one that may not."""
    decision = await limiter.hit(agency_code, policy, cost)
    if not decision.allowed:
        raise limit_exceeded(decision, agency_code, cost)
    return decision


async def admit_call(
    state: dict[str, object],
    limiter: Limiter | None,
    agency_code: str,
    policy: LimitPolicy,
    cost: int = 1,
) -> None:
    """Admit a call of a request (or raise its 429) and keep the decision for the headers."""
    if limiter is None:
        return
    state[STATE_KEY] = await admit(limiter, agency_code, policy, cost)


async def admit_request(request: Request, principal: Principal, cost: int = 1) -> None:
    """``admit_call`` for a routed request, with the app's limiter."""
    await admit_call(
        request.scope.setdefault("state", {}),
        request.app.state.limiter,
        principal.agency_code,
        principal.limits,
        cost,
    )
