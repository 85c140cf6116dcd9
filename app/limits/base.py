"""The interface every limiter backend offers."""

from __future__ import annotations

from typing import Protocol

from app.limits.policy import LimitDecision, LimitPolicy


class Limiter(Protocol):
    """Admits or refuses calls of one agency under its policy; state shared per backend."""

    async def hit(self, agency_code: str, policy: LimitPolicy, cost: int = 1) -> LimitDecision:
        """Take ``cost`` calls from the agency's bucket and daily quota, if both allow them.

        A refused hit takes nothing, so a client that keeps retrying too early
        is not pushed further back.
        """
        ...

    async def aclose(self) -> None:
        """Release connections (at app shutdown)."""
        ...
