"""Over HTTP: RateLimit-* headers on admitted calls, a 429 problem with Retry-After after."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from app.limits import (
    STATE_KEY,
    InProcessLimiter,
    LimitPolicy,
    RateLimitHeadersMiddleware,
    admit,
    build_limiter,
)
from app.limits.redis_limiter import RedisLimiter
from app.problems import install_problem_handlers

pytestmark = pytest.mark.anyio
POLICY = LimitPolicy(rate=0.5, burst=2, daily_quota=1000)


def limited_app(policy: LimitPolicy = POLICY) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(RateLimitHeadersMiddleware)
    limiter = InProcessLimiter()

    @app.post("/v1/identity/verify/batch")
    async def verify_batch(request: Request, records: int = 1) -> Response:
        decision = await admit(limiter, "saomai-telecom", policy, cost=records)
        setattr(request.state, STATE_KEY, decision)
        return Response(b"{}", media_type="application/json")

    @app.get("/v1/unlimited")
    async def unlimited() -> dict[str, str]:
        return {}

    return app


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=limited_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as client:
        yield client


async def test_admitted_calls_carry_ratelimit_headers(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/identity/verify/batch")
    assert response.status_code == 200
    assert response.headers["RateLimit-Limit"] == "2"
    assert response.headers["RateLimit-Remaining"] == "1"
    assert response.headers["RateLimit-Reset"] == "2"
    assert response.headers["RateLimit-Policy"] == "2;w=4, 1000;w=86400"
    assert "Retry-After" not in response.headers


async def test_calls_not_limited_get_no_headers(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/unlimited")
    assert response.status_code == 200
    assert "RateLimit-Limit" not in response.headers


async def test_over_the_rate_is_a_429_problem_with_retry_after(http: httpx.AsyncClient) -> None:
    await http.post("/v1/identity/verify/batch", params={"records": 2})
    response = await http.post("/v1/identity/verify/batch")
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["Retry-After"] == "2"
    assert response.headers["RateLimit-Limit"] == "2"
    assert response.headers["RateLimit-Remaining"] == "0"
    body = response.json()
    assert body["code"] == "RATE_LIMITED"
    assert body["limit"] == "rate"
    assert body["retry_after"] == 2
    assert "0.5 calls per second (burst 2)" in body["detail"]


async def test_over_the_daily_quota_is_quota_exceeded() -> None:
    app = limited_app(LimitPolicy(rate=100, burst=100, daily_quota=5))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as client:
        assert (await client.post("/v1/identity/verify/batch?records=5")).status_code == 200
        response = await client.post("/v1/identity/verify/batch")
    assert response.status_code == 429
    assert response.json()["code"] == "QUOTA_EXCEEDED"
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["RateLimit-Limit"] == "5"


async def test_build_limiter_picks_the_backend() -> None:
    assert isinstance(build_limiter(None), InProcessLimiter)
    assert isinstance(build_limiter(""), InProcessLimiter)
    shared = build_limiter("redis://127.0.0.1:6379/15")  # connects on first use only
    assert isinstance(shared, RedisLimiter)
    await shared.aclose()
