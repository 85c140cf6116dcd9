"""Token buckets in Redis, shared by every worker process and machine.

One Lua script per call refills the bucket, checks the daily quota and takes
the cost atomically, on the Redis server's clock (so the workers' clocks do not
matter). Each agency has one hash; it expires once it would be full again and,
with a quota, not before the end of the UTC day.
"""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.limits.inprocess import InProcessLimiter
from app.limits.policy import LimitDecision, LimitPolicy, decide

logger = logging.getLogger("popreg.limits")

DEFAULT_PREFIX = "popreg:limits"
# Numbers go back and forth as strings: Lua turns a returned number into an integer.
HIT_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local quota = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local clock = redis.call('TIME')
local day = math.floor(tonumber(clock[1]) / 86400)
local to_midnight = (day + 1) * 86400 - tonumber(clock[1]) - tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 's', 'us', 'day', 'used')
local tokens = tonumber(state[1])
if tokens == nil then
  tokens = burst
else
  local elapsed = (tonumber(clock[1]) - tonumber(state[2]))
    + (tonumber(clock[2]) - tonumber(state[3])) / 1000000
  if elapsed > 0 then tokens = math.min(burst, tokens + elapsed * rate) end
end
local used = 0
if tonumber(state[4]) == day then used = tonumber(state[5]) end
local allowed = 0
local need = math.min(cost, burst)
if (quota < 0 or used + cost <= quota) and tokens + 1e-9 >= need then
  allowed = 1
  tokens = tokens - cost
  used = used + cost
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
    's', clock[1], 'us', clock[2], 'day', day, 'used', used)
  local ttl = (burst - tokens) / rate
  if quota >= 0 and to_midnight > ttl then ttl = to_midnight end
  redis.call('PEXPIRE', KEYS[1], math.ceil(ttl * 1000) + 1000)
end
return {allowed, string.format('%.17g', tokens), used, string.format('%.17g', to_midnight)}
"""


class RedisLimiter:
    """The limiter for several workers (``POPREG_REDIS_URL``).

    If Redis cannot be reached, calls are limited per process (as with one
    worker) rather than refused, and a warning is logged every 30 seconds.
    """

    def __init__(self, client: Redis, *, prefix: str = DEFAULT_PREFIX) -> None:
        self.client = client
        self.prefix = prefix
        self._script = client.register_script(HIT_SCRIPT)
        self._fallback = InProcessLimiter()
        self._warned_at = float("-inf")

    @classmethod
    def from_url(cls, url: str, *, prefix: str = DEFAULT_PREFIX) -> RedisLimiter:
        client = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return cls(client, prefix=prefix)

    def key(self, agency_code: str) -> str:
        return f"{self.prefix}:{agency_code}"

    async def hit(self, agency_code: str, policy: LimitPolicy, cost: int = 1) -> LimitDecision:
        if cost < 1:
            raise ValueError(f"cost must be at least 1: {cost}")
        quota = -1 if policy.daily_quota is None else policy.daily_quota
        try:
            allowed, tokens, used, to_midnight = await self._script(
                keys=[self.key(agency_code)],
                args=[repr(policy.rate), policy.burst, quota, cost],
            )
        except RedisError as exc:
            self._warn(exc)
            return self._fallback.take(agency_code, policy, cost)
        return decide(
            policy,
            cost,
            allowed=bool(allowed),
            tokens=float(tokens),
            used=int(used),
            seconds_to_midnight=float(to_midnight),
        )

    def _warn(self, exc: RedisError) -> None:
        now = time.monotonic()
        if now - self._warned_at >= 30.0:
            self._warned_at = now
            logger.warning(
                "Redis unreachable: rate limits are enforced per process until it is back",
                extra={"fields": {"error": type(exc).__name__}},
            )

    async def aclose(self) -> None:
        await self.client.aclose()
