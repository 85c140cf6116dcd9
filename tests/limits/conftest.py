"""Redis for the shared limiter: ``POPREG_TEST_REDIS_URL`` (default local Redis, database 15)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from app.limits.redis_limiter import RedisLimiter

DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A reachable Redis, or the test is skipped saying where none answered."""
    redis = pytest.importorskip("redis", reason="the redis client is not installed (extra: redis)")
    url = os.environ.get("POPREG_TEST_REDIS_URL", DEFAULT_TEST_REDIS_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(
            f"Redis not reachable at {url} ({type(exc).__name__}); set POPREG_TEST_REDIS_URL"
        )
    finally:
        client.close()
    return url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards."""
    import redis

    prefix = f"popreg-test:{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
async def redis_limiter(redis_url: str, redis_prefix: str) -> AsyncIterator[RedisLimiter]:
    from app.limits.redis_limiter import RedisLimiter

    limiter = RedisLimiter.from_url(redis_url, prefix=redis_prefix)
    yield limiter
    await limiter.aclose()
