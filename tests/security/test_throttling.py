"""Brute force is throttled: failed API keys per address and per key prefix, failed
citizen sign-ins per personal ID and per address; 429 ``TOO_MANY_FAILED_ATTEMPTS``
with ``Retry-After`` for every attempt (right ones too) until the window ends.

The window runs on a clock the tests move (``InProcessFailures(clock=…)``);
with Redis two apps stand for two workers sharing it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.limits.failures import InProcessFailures
from tests.conftest import Registry
from tests.security.conftest import client_of

pytestmark = pytest.mark.anyio

BANK = "phusa-bank"
HOSPITAL = "honglinh-hospital"
LOOKUP_HEADERS = {"X-Purpose": "patient_checkin"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttled(application: FastAPI) -> Clock:
    """Count failures of ``application`` on a clock the test moves."""
    clock = Clock()
    application.state.throttle.counter = InProcessFailures(clock=clock)
    return clock


def random_key() -> str:
    return f"prk_{secrets.token_hex(4)}_{secrets.token_urlsafe(16)}"


def forged(key: str) -> str:
    """The key's prefix with a wrong secret."""
    return key[: key.rindex("_") + 1] + secrets.token_urlsafe(16)


def assert_locked(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "TOO_MANY_FAILED_ATTEMPTS"
    assert int(response.headers["retry-after"]) == body["retry_after"] >= 1


async def lookup(client: httpx.AsyncClient, registry: Registry, key: str) -> httpx.Response:
    return await client.get(
        f"/v1/citizens/{registry.head}", headers={"X-API-Key": key, **LOOKUP_HEADERS}
    )


async def test_failed_keys_lock_the_address_right_key_included_until_the_window_ends(
    make_app: Callable[..., FastAPI], registry: Registry
) -> None:
    application = make_app(auth_max_failures=3, auth_lockout_seconds=60)
    clock = throttled(application)
    key = registry.keys[HOSPITAL]
    async with (
        client_of(application, "198.51.100.7") as client,
        client_of(application, "198.51.100.8") as neighbour,
    ):
        assert (await lookup(client, registry, key)).status_code == 200  # cached: fast path
        for _ in range(3):
            failed = await client.get("/v1/agencies/me", headers={"X-API-Key": random_key()})
            assert failed.status_code == 401
        # The right key is refused too, on the lookup fast path and on every route.
        assert_locked(await lookup(client, registry, key))
        assert_locked(await client.get("/v1/agencies/me", headers={"X-API-Key": key}))
        token = await client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(HOSPITAL, key)
        )
        assert_locked(token)
        # Another address is not affected.
        assert (await lookup(neighbour, registry, key)).status_code == 200
        clock.now += 59
        assert_locked(await lookup(client, registry, key))
        clock.now += 2
        assert (await lookup(client, registry, key)).status_code == 200


async def test_failed_secrets_of_one_prefix_lock_that_prefix_from_every_address(
    make_app: Callable[..., FastAPI], registry: Registry
) -> None:
    application = make_app(auth_max_failures=4, auth_lockout_seconds=60)
    throttled(application)
    key = registry.keys[HOSPITAL]
    # Four guesses of the hospital key's secret, from four addresses.
    for n in range(4):
        async with client_of(application, f"203.0.113.{n}") as client:
            assert (await lookup(client, registry, forged(key))).status_code == 401
    async with client_of(application, "203.0.113.99") as client:
        assert_locked(await lookup(client, registry, key))
        other = registry.keys[BANK]
        me = await client.get("/v1/agencies/me", headers={"X-API-Key": other})
        assert me.status_code == 200  # other keys still work from there


async def test_failed_client_secrets_at_the_token_endpoint_count_too(
    make_app: Callable[..., FastAPI], registry: Registry
) -> None:
    application = make_app(auth_max_failures=2, auth_lockout_seconds=60)
    throttled(application)
    key = registry.keys[BANK]
    async with client_of(application) as client:
        for _ in range(2):
            refused = await client.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, auth=(BANK, forged(key))
            )
            assert refused.json()["code"] == "INVALID_CLIENT"
        right = await client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(BANK, key)
        )
        assert_locked(right)


async def test_zero_turns_the_lockout_off(
    make_app: Callable[..., FastAPI], registry: Registry
) -> None:
    application = make_app(auth_max_failures=0, citizen_login_max_failures=0)
    throttled(application)
    async with client_of(application) as client:
        for _ in range(40):
            failed = await client.get("/v1/agencies/me", headers={"X-API-Key": random_key()})
            assert failed.status_code == 401
        assert (await lookup(client, registry, registry.keys[HOSPITAL])).status_code == 200


async def sign_in(client: httpx.AsyncClient, personal_id: str, code: str) -> httpx.Response:
    return await client.post("/v1/citizen/login", json={"personal_id": personal_id, "code": code})


async def test_wrong_codes_lock_the_personal_id_right_code_included(
    make_app: Callable[..., FastAPI], registry: Registry
) -> None:
    application = make_app(citizen_login_max_failures=5, citizen_login_lockout_seconds=900)
    clock = throttled(application)
    # Five wrong codes, spread over addresses (the per-address limit is not reached).
    for n in range(5):
        async with client_of(application, f"192.0.2.{n + 1}") as client:
            failed = await sign_in(client, registry.head, f"{n:06d}")
            assert failed.json()["code"] == "INVALID_CITIZEN_LOGIN"
    async with client_of(application, "192.0.2.77") as client:
        assert_locked(await sign_in(client, registry.head, "123456"))
        # Someone else signs in as usual.
        assert (await sign_in(client, registry.spouse, "123456")).status_code == 200
        clock.now += 901
        assert (await sign_in(client, registry.head, "123456")).status_code == 200


async def test_wrong_codes_from_one_address_lock_it_for_every_personal_id(
    make_app: Callable[..., FastAPI], registry: Registry
) -> None:
    application = make_app(citizen_login_max_failures=5, citizen_login_max_failures_per_ip=20)
    throttled(application)
    async with client_of(application, "192.0.2.200") as client:
        # A sweep over many IDs, one guess each: the per-ID limit is never reached.
        for n in range(20):
            await sign_in(client, f"079085{n:06d}", "123456")
        assert_locked(await sign_in(client, registry.head, "123456"))
    async with client_of(application, "192.0.2.201") as other:
        assert (await sign_in(other, registry.head, "123456")).status_code == 200


async def test_with_redis_a_lockout_holds_in_every_worker(
    make_app: Callable[..., FastAPI], registry: Registry, redis_url: str, redis_prefix: str
) -> None:
    from app.limits.redis_failures import RedisFailures

    settings: dict[str, Any] = {
        "redis_url": redis_url,
        "rate_limits": False,  # the limiter would share Redis under its default prefix
        "auth_max_failures": 3,
        "citizen_login_max_failures": 3,
    }
    workers = [make_app(**settings), make_app(**settings)]
    for application in workers:
        await application.state.throttle.aclose()
        application.state.throttle.counter = RedisFailures.from_url(redis_url, prefix=redis_prefix)
    first, second = workers
    try:
        async with client_of(first, "192.0.2.50") as one, client_of(second, "192.0.2.51") as two:
            # Citizen sign-in: each attempt asks Redis, so the other worker refuses at once.
            for n in range(3):
                await sign_in(one, registry.head, f"{n:06d}")
            assert_locked(await sign_in(two, registry.head, "123456"))
        async with client_of(first, "192.0.2.60") as one, client_of(second, "192.0.2.60") as two:
            # API keys: the hot path asks only its own process; a worker learns of the
            # lock with its next failure, and from then on refuses the right key too.
            for _ in range(3):
                assert (await lookup(one, registry, random_key())).status_code == 401
            assert_locked(await lookup(one, registry, registry.keys[HOSPITAL]))
            assert (await lookup(two, registry, random_key())).status_code == 401
            assert_locked(await lookup(two, registry, registry.keys[HOSPITAL]))
    finally:
        for application in workers:
            await application.state.throttle.aclose()
