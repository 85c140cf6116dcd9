"""Failed-credential windows in Redis, shared by every worker process and machine.

One Lua script per failure counts it and opens the window on the first one, on
the Redis server's clock. See app/limits/failures.py for what a window means.
"""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.limits.failures import InProcessFailures

logger = logging.getLogger("popreg.limits")

DEFAULT_PREFIX = "popreg:failures"
# INCR and set the window on the first failure; return the count and the milliseconds left.
FAIL_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


class RedisFailures:
    """Failure windows in Redis, shared by every worker; per process if Redis is down."""

    def __init__(self, client: Redis, *, prefix: str = DEFAULT_PREFIX) -> None:
        self.client = client
        self.prefix = prefix
        self._script = client.register_script(FAIL_SCRIPT)
        self._local = InProcessFailures()
        self._warned_at = float("-inf")

    @classmethod
    def from_url(cls, url: str, *, prefix: str = DEFAULT_PREFIX) -> RedisFailures:
        client = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return cls(client, prefix=prefix)

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    @property
    def idle(self) -> bool:
        return self._local.idle

    def locked(self, key: str) -> float | None:
        return self._local.locked(key)

    async def check(self, key: str, limit: int) -> float | None:
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.get(self._key(key))
                pipe.pttl(self._key(key))
                count, ttl = await pipe.execute()
        except RedisError as exc:
            self._warn(exc)
            return self._local.locked(key)
        if count is None or int(count) < limit or int(ttl) <= 0:
            return self._local.locked(key)
        seconds = int(ttl) / 1000
        self._local.learn(key, seconds, limit)
        return seconds

    async def fail(self, key: str, limit: int, window: float) -> float | None:
        try:
            count, ttl = await self._script(
                keys=[self._key(key)], args=[max(int(window * 1000), 1)]
            )
        except RedisError as exc:
            self._warn(exc)
            return self._local.take(key, limit, window)
        if int(count) < limit:
            return None
        seconds = max(int(ttl), 1) / 1000
        self._local.learn(key, seconds, limit)
        return seconds

    def _warn(self, exc: RedisError) -> None:
        now = time.monotonic()
        if now - self._warned_at >= 30.0:
            self._warned_at = now
            logger.warning(
                "Redis unreachable: failed sign-ins are counted per process until it is back",
                extra={"fields": {"error": type(exc).__name__}},
            )

    async def aclose(self) -> None:
        await self.client.aclose()
