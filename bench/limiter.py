"""Microseconds per ``hit`` of the rate limiters: ``python bench/limiter.py [redis-url]``."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid

from app.limits import InProcessLimiter, Limiter, LimitPolicy

# Limits so high that every call is admitted: the common case on the hot path.
NO_QUOTA = LimitPolicy(rate=1e9, burst=10**9)
WITH_QUOTA = LimitPolicy(rate=1e9, burst=10**9, daily_quota=10**12)


async def per_call(limiter: Limiter, policy: LimitPolicy, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        await limiter.hit("saomai-telecom", policy)
    return (time.perf_counter() - started) / calls * 1e6


async def main() -> None:
    limiter = InProcessLimiter()
    for name, policy in (("no quota", NO_QUOTA), ("daily quota", WITH_QUOTA)):
        best = min([await per_call(limiter, policy, 200_000) for _ in range(5)])
        print(f"InProcessLimiter.hit, {name}: {best:.2f} µs per call")
    if len(sys.argv) > 1:
        from app.limits.redis_limiter import RedisLimiter

        shared = RedisLimiter.from_url(sys.argv[1], prefix=f"popreg-bench:{uuid.uuid4().hex}")
        try:
            for name, policy in (("no quota", NO_QUOTA), ("daily quota", WITH_QUOTA)):
                best = min([await per_call(shared, policy, 2_000) for _ in range(3)])
                print(f"RedisLimiter.hit, {name}: {best:.1f} µs per call (one round trip)")
        finally:
            await shared.client.delete(shared.key("saomai-telecom"))
            await shared.aclose()


if __name__ == "__main__":
    asyncio.run(main())
