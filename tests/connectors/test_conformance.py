"""One contract for every connector ``discover()`` finds, built-in or installed as a plugin.

Against a scripted registry (``httpx.MockTransport``): transient failures are
retried as long as ``Retry-After`` asks, a failure beyond the retry budget is
logged once and does not break the step, a refusal is not retried, a POST that
could act twice is sent once, and every call carries a request id and the
agency's credentials. Against the app in-process (``httpx.ASGITransport``): a
short paced run has no failed step and no server error, and its calls are in
the registry's audit log under their request ids.
"""

from __future__ import annotations

import random

import httpx
import pytest

from app.agencies.keys import demo_api_key
from app.config import DEFAULT_ADMIN_TOKEN
from connectors import (
    Call,
    CallLog,
    Connector,
    Credentials,
    RegistryClient,
    RetryPolicy,
    RunPlan,
    discover,
    make_connector,
    run,
)
from tests.connectors.live import Live, confined
from tests.connectors.scripted import (
    SAMPLE,
    Fault,
    ScriptedRegistry,
    must_not_retry,
    must_retry,
    problem,
)

pytestmark = pytest.mark.anyio

FOUND, _BROKEN = discover()
CONNECTORS = [FOUND[name].connector for name in sorted(FOUND)]
each_connector = pytest.mark.parametrize(
    "connector_class", CONNECTORS, ids=[c.name for c in CONNECTORS]
)
BUDGET = RetryPolicy(attempts=3, base_seconds=0.01, max_seconds=10.0)
# Routes whose answered calls the registry must have audited under their request id.
AUDITED = frozenset(
    {
        "/v1/citizens/{personal_id}",
        "/v1/citizens/by-legacy-id/{legacy_id}",
        "/v1/identity/verify",
        "/v1/identity/verify/batch",
        "/v1/cleaning/jobs",
        "/v1/civil/births",
        "/v1/civil/deaths",
        "/v1/events",
    }
)


def key_of(connector_class: type[Connector]) -> str:
    return demo_api_key(connector_class.agency).secret


class Scripted:
    """A connector driven against a ScriptedRegistry: setup, every task once, a few steps."""

    def __init__(self, connector_class: type[Connector], registry: ScriptedRegistry) -> None:
        self.connector_class = connector_class
        self.registry = registry
        self.log = CallLog()
        self.sleeps: list[float] = []
        self.after_setup = 0  # calls logged by setup (made before any fault)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    async def drive(self, *, mode: str = "api_key", steps: int = 8) -> list[Call]:
        """The calls made once faults were on; every task ran at least once, none raised."""
        cls = self.connector_class
        credentials = Credentials(
            cls.agency, key_of(cls), "oauth2" if mode == "oauth2" else "api_key"
        )
        async with httpx.AsyncClient(
            transport=self.registry.transport, base_url="http://popreg.test"
        ) as http:
            client = RegistryClient(
                http,
                credentials,
                connector=cls.name,
                log=self.log,
                retry=BUDGET,
                rng=random.Random(3),
                sleep=self.sleep,
            )
            connector = cls(client, rng=random.Random(7))
            await connector.setup()
            self.after_setup = len(self.log)
            self.registry.failing = True
            for task in cls.tasks:  # each task once, however rare its weight
                await getattr(connector, task)()
            for _ in range(steps):
                await connector.step()
            await connector.teardown()
        calls = self.log.since(self.after_setup)
        assert calls, f"{cls.name} made no call"
        return calls

    def attempts(self, call: Call) -> list[httpx.Request]:
        return self.registry.calls[call.request_id]


async def scripted(connector_class: type[Connector], fault: Fault) -> tuple[Scripted, list[Call]]:
    driven = Scripted(connector_class, ScriptedRegistry(seed=5, fault=fault))
    return driven, await driven.drive()


def each_call_logged_once(driven: Scripted, calls: list[Call]) -> None:
    """One log entry per logical call: its attempts are the requests under its request id."""
    ids = [c.request_id for c in driven.log]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(driven.registry.calls)
    for call in calls:
        assert call.attempts == len(driven.attempts(call)), call


# --- against a scripted registry -----------------------------------------------------------


@each_connector
async def test_a_503_with_retry_after_is_retried_after_that_wait(
    connector_class: type[Connector],
) -> None:
    def once_unavailable(request: httpx.Request, attempt: int) -> httpx.Response | None:
        return problem(503, "SERVICE_UNAVAILABLE", **{"Retry-After": "7"}) if attempt == 1 else None

    driven, calls = await scripted(connector_class, once_unavailable)

    each_call_logged_once(driven, calls)
    for call in calls:
        first = driven.attempts(call)[0]
        if must_retry(first):
            assert (call.attempts, call.outcome) == (2, "ok"), call
        if must_not_retry(first):
            assert (call.attempts, call.status) == (1, 503), call
    assert any(c.attempts == 2 for c in calls)
    assert len(driven.sleeps) == sum(c.attempts - 1 for c in calls)
    assert all(7 <= s <= BUDGET.max_seconds for s in driven.sleeps), driven.sleeps


@each_connector
async def test_429s_beyond_the_retry_budget_are_logged_once_as_rate_limited(
    connector_class: type[Connector],
) -> None:
    def always_limited(request: httpx.Request, attempt: int) -> httpx.Response:
        return problem(429, "RATE_LIMITED", **{"Retry-After": "1"})

    driven, calls = await scripted(connector_class, always_limited)

    each_call_logged_once(driven, calls)
    for call in calls:
        assert (call.status, call.code, call.outcome) == (429, "RATE_LIMITED", "rate_limited")
        first = driven.attempts(call)[0]
        if must_retry(first):
            assert call.attempts == BUDGET.attempts, call
        if must_not_retry(first):
            assert call.attempts == 1, call
    assert all(s >= 1 for s in driven.sleeps)


@each_connector
async def test_connection_errors_are_logged_as_unreachable(
    connector_class: type[Connector],
) -> None:
    def refused(request: httpx.Request, attempt: int) -> Exception:
        return httpx.ConnectError("connection refused", request=request)

    driven, calls = await scripted(connector_class, refused)

    each_call_logged_once(driven, calls)
    for call in calls:
        assert (call.status, call.code, call.outcome) == (None, None, "unreachable"), call
        first = driven.attempts(call)[0]
        if must_retry(first):
            assert call.attempts == BUDGET.attempts, call
        if must_not_retry(first):
            assert call.attempts == 1, call


@each_connector
async def test_a_403_problem_is_logged_as_denied_and_not_retried(
    connector_class: type[Connector],
) -> None:
    def denied(request: httpx.Request, attempt: int) -> httpx.Response:
        return problem(403, "PURPOSE_NOT_ALLOWED")

    driven, calls = await scripted(connector_class, denied)

    each_call_logged_once(driven, calls)
    for call in calls:
        assert (call.status, call.code, call.outcome) == (403, "PURPOSE_NOT_ALLOWED", "denied")
        assert call.attempts == 1, call
    assert driven.sleeps == []


@each_connector
async def test_a_post_that_could_act_twice_is_sent_once(
    connector_class: type[Connector],
) -> None:
    def unavailable(request: httpx.Request, attempt: int) -> httpx.Response:
        return problem(503, "SERVICE_UNAVAILABLE", **{"Retry-After": "0"})

    driven, calls = await scripted(connector_class, unavailable)

    for call in calls:
        attempts = driven.attempts(call)
        if must_not_retry(attempts[0]):
            assert len(attempts) == 1, call
        elif attempts[0].method == "POST" and "idempotency-key" in attempts[0].headers:
            # Retried as the same request: same key, same body, same request id.
            assert len(attempts) == BUDGET.attempts, call
            assert len({a.headers["idempotency-key"] for a in attempts}) == 1
            assert len({a.content for a in attempts}) == 1


@each_connector
@pytest.mark.parametrize("mode", ["api_key", "oauth2"])
async def test_every_call_carries_a_request_id_and_the_agency_credentials(
    connector_class: type[Connector], mode: str
) -> None:
    registry = ScriptedRegistry(seed=9)
    driven = Scripted(connector_class, registry)
    await driven.drive(mode=mode)
    key = key_of(connector_class)
    requests = registry.requests()

    assert requests
    assert {r.headers.get("x-request-id") for r in requests} == {c.request_id for c in driven.log}
    assert all(r.headers.get("x-request-id") for r in requests)
    for request in requests:
        if mode == "api_key":
            assert request.headers.get("x-api-key") == key
            assert "authorization" not in request.headers
        else:
            assert request.headers.get("authorization") in {f"Bearer {t}" for t in registry.tokens}
            assert "x-api-key" not in request.headers
        purpose = request.headers.get("x-purpose")
        assert purpose is None or purpose in connector_class.purposes.values()
    if mode == "oauth2":
        assert registry.token_requests
        for form in registry.token_requests:
            assert form["grant_type"] == ["client_credentials"]
            assert form["client_id"] == [connector_class.agency]
            assert form["client_secret"] == [key]
    assert {c.agency for c in driven.log} == {connector_class.agency}
    assert {c.purpose for c in driven.log} <= {None, *connector_class.purposes.values()}
    # The sandbox sample is the admin's endpoint: never the agency's credentials.
    assert registry.samples
    for sample in registry.samples:
        assert sample.url.path == SAMPLE
        assert sample.headers["authorization"] == f"Bearer {DEFAULT_ADMIN_TOKEN}"


# --- against the app in-process ------------------------------------------------------------


def answered(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.status is not None and 200 <= c.status < 300]


@each_connector
async def test_a_run_against_the_registry_fails_no_step_and_is_audited(
    connector_class: type[Connector], live: Live
) -> None:
    log = CallLog()
    connector = make_connector(confined(connector_class), live.http, log=log, seed=11)

    result = await run(connector, RunPlan(rate=12, seconds=1.5, concurrency=4))

    calls = list(log)
    assert result.failed_steps == 0
    assert result.steps >= 12
    assert [c for c in calls if c.status is None or c.status >= 500] == []
    # Its own agency's policy allows everything its workflows do.
    assert [c for c in calls if c.status in (401, 403)] == []
    assert answered(calls)
    audited = 0
    for call in answered(calls):
        events = await live.audit(request_id=call.request_id)
        if call.path in AUDITED:
            assert events, f"no audit record for {call}"
        if events:
            audited += 1
            assert {e["agency_code"] for e in events} == {connector_class.agency}
            assert {e["request_id"] for e in events} == {call.request_id}
    assert audited


@each_connector
async def test_a_run_with_oauth2_tokens_is_authorised(
    connector_class: type[Connector], live: Live
) -> None:
    log = CallLog()
    connector = make_connector(confined(connector_class), live.http, log=log, oauth2=True, seed=12)

    result = await run(connector, RunPlan(rate=10, seconds=0.5, concurrency=2))

    calls = list(log)
    assert result.failed_steps == 0
    assert [c for c in calls if c.status is None or c.status >= 500 or c.status == 401] == []
    assert answered(calls)
