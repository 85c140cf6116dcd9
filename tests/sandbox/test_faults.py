"""Fault injection: rules (CRUD, matching, effects, expiry), the X-Sandbox-Fault header,
the audit record of each fault, several server processes, and a connector's retries.

Rules are committed (every process reads them from the database), so each test
starts and ends with none.
"""

from __future__ import annotations

import asyncio
import random
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import Engine, delete

from app.config import Mode, Settings
from app.main import create_app
from app.models import FaultRule
from app.sandbox.faults_rules import Effect, FaultKind, compile_route, loggable_path, parse_header
from connectors import CallLog, RetryPolicy, RunPlan, make_connector, run
from connectors.builtin.bank import BankConnector
from tests.audit.test_processes import free_port
from tests.cleaning.test_durability import serve, wait_ready
from tests.conftest import Registry

ADMIN = {"Authorization": "Bearer sandbox-admin-token"}
BANK = "phusa-bank"
TELECOM = "saomai-telecom"
ME = "/v1/agencies/me"
PROBLEM = "application/problem+json"


def clear_rules(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(delete(FaultRule))


@dataclass
class Sandbox:
    app: FastAPI
    http: httpx.AsyncClient
    keys: dict[str, str]

    def key(self, agency: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[agency]}

    async def create(self, **rule: Any) -> dict[str, Any]:
        response = await self.http.post("/v1/sandbox/faults", json=rule, headers=ADMIN)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def rules(self) -> list[dict[str, Any]]:
        response = await self.http.get("/v1/sandbox/faults", headers=ADMIN)
        assert response.status_code == 200, response.text
        rules: list[dict[str, Any]] = response.json()["rules"]
        return rules

    async def audit(self, request_id: str) -> list[dict[str, Any]]:
        response = await self.http.get(
            "/v1/audit/events", params={"request_id": request_id}, headers=ADMIN
        )
        assert response.status_code == 200, response.text
        events: list[dict[str, Any]] = response.json()["events"]
        return events


@pytest.fixture
def no_rules(engine: Engine) -> Iterator[None]:
    clear_rules(engine)
    try:
        yield
    finally:
        clear_rules(engine)


@pytest.fixture
async def sandbox(settings: Settings, registry: Registry, no_rules: None) -> AsyncIterator[Sandbox]:
    """The app in-process with committed writes, its fault dice seeded."""
    application = create_app(settings)
    application.state.faults.rng = random.Random(7)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as http:
        yield Sandbox(application, http, registry.keys)
    application.state.database.dispose()


def assert_injected(response: httpx.Response, status: int, by: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["x-sandbox-fault-injected"] == by
    body: dict[str, Any] = response.json()
    assert body["code"] == "INJECTED_FAULT"
    assert "injected on purpose" in body["detail"].lower()
    assert "not a real failure" in body["detail"]
    assert body["injected_by"] == by
    return body


# --- rules: create, list, delete ---------------------------------------------------------


@pytest.mark.anyio
async def test_a_rule_is_created_listed_and_deleted(sandbox: Sandbox) -> None:
    created = await sandbox.create(
        agency=BANK,
        route="/v1/citizens/*",
        methods=["get"],
        probability=0.5,
        effect={"kind": "error", "status": 503},
        expires_in=600,
        description="retry drill",
    )
    assert created["id"].startswith("flt_")
    assert created["methods"] == ["GET"]
    assert created["effect"] == {"kind": "error", "status": 503, "retry_after": 1}
    assert created["hits"] == 0
    created_at = datetime.fromisoformat(created["created_at"])
    expires_at = datetime.fromisoformat(created["expires_at"])
    assert timedelta(seconds=599) < expires_at - created_at <= timedelta(seconds=600)
    other = await sandbox.create(route="/v1/**", effect={"kind": "drop"}, probability=0.01)
    assert other["agency"] is None
    assert other["methods"] == []
    assert other["expires_at"] is None

    assert [rule["id"] for rule in await sandbox.rules()] == [created["id"], other["id"]]

    deleted = await sandbox.http.delete(f"/v1/sandbox/faults/{created['id']}", headers=ADMIN)
    assert deleted.status_code == 204
    assert [rule["id"] for rule in await sandbox.rules()] == [other["id"]]
    again = await sandbox.http.delete(f"/v1/sandbox/faults/{created['id']}", headers=ADMIN)
    assert again.status_code == 404
    assert again.json()["code"] == "FAULT_RULE_NOT_FOUND"

    cleared = await sandbox.http.delete("/v1/sandbox/faults", headers=ADMIN)
    assert cleared.status_code == 200
    assert cleared.json() == {"deleted": 1}
    assert await sandbox.rules() == []


@pytest.mark.anyio
async def test_the_rule_endpoints_need_the_admin_token(sandbox: Sandbox) -> None:
    rule = {"route": "/v1/**", "effect": {"kind": "drop"}}
    for headers in ({}, sandbox.key(BANK), {"Authorization": "Bearer not-the-admin-token"}):
        for method, path in (("POST", ""), ("GET", ""), ("DELETE", ""), ("DELETE", "/flt_x")):
            response = await sandbox.http.request(
                method, f"/v1/sandbox/faults{path}", json=rule, headers=headers
            )
            assert response.status_code == 403, (method, path, headers)
            assert response.json()["code"] == "ADMIN_REQUIRED"


RULE = {"route": "/v1/agencies/me", "effect": {"kind": "error", "status": 500}}


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"probability": 0}, "VALIDATION_FAILED", "body.probability"),
        ({"probability": 1.5}, "VALIDATION_FAILED", "body.probability"),
        ({"effect": {"kind": "explode"}}, "VALIDATION_FAILED", "body.effect"),
        ({"effect": {"kind": "error", "status": 501}}, "VALIDATION_FAILED", "body.effect"),
        ({"effect": {"kind": "latency", "ms": 30_001}}, "VALIDATION_FAILED", "body.effect"),
        ({"effect": {"kind": "slow_body", "bytes_per_second": 0}}, "VALIDATION_FAILED", None),
        ({"effect": {"kind": "drop", "ms": 5}}, "VALIDATION_FAILED", None),
        ({"methods": ["FETCH"]}, "VALIDATION_FAILED", "body.methods[0]"),
        ({"route": ""}, "VALIDATION_FAILED", "body.route"),
        ({"expires_in": 0}, "VALIDATION_FAILED", "body.expires_in"),
        ({"colour": "red"}, "VALIDATION_FAILED", "body.colour"),
        ({"effect": {"kind": "latency"}}, "INVALID_FAULT_EFFECT", None),
        ({"effect": {"kind": "latency", "ms": 5, "min_ms": 1}}, "INVALID_FAULT_EFFECT", None),
        (
            {"effect": {"kind": "latency", "min_ms": 50, "max_ms": 10}},
            "INVALID_FAULT_EFFECT",
            None,
        ),
        ({"effect": {"kind": "latency", "min_ms": 50}}, "INVALID_FAULT_EFFECT", None),
        ({"effect": {"kind": "latency", "mean_ms": 50}}, "INVALID_FAULT_EFFECT", None),
        (
            {"effect": {"kind": "error", "status": 500, "retry_after": 3}},
            "INVALID_FAULT_EFFECT",
            None,
        ),
        ({"route": "v1/citizens/*"}, "INVALID_ROUTE_PATTERN", None),
        ({"route": "/v1/citizens/{personal_id"}, "INVALID_ROUTE_PATTERN", None),
        ({"route": "/v1/***"}, "INVALID_ROUTE_PATTERN", None),
        ({"route": "/v1/citizens?x=1 2"}, "INVALID_ROUTE_PATTERN", None),
        ({"agency": "no-such-agency"}, "UNKNOWN_AGENCY", None),
        (
            {"expires_in": 60, "expires_at": "2099-01-01T00:00:00Z"},
            "INVALID_EXPIRY",
            None,
        ),
        ({"expires_at": "2020-01-01T00:00:00Z"}, "INVALID_EXPIRY", None),
        ({"expires_at": "2099-01-01T00:00:00"}, "INVALID_EXPIRY", None),
    ],
)
async def test_an_invalid_rule_is_refused_with_a_stable_code(
    sandbox: Sandbox, change: dict[str, Any], code: str, field: str | None
) -> None:
    response = await sandbox.http.post("/v1/sandbox/faults", json={**RULE, **change}, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == code
    if field is not None:
        assert any(error["field"].startswith(field) for error in body["errors"]), body
    assert await sandbox.rules() == []


# --- effects -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_an_injected_503_carries_retry_after_and_names_its_rule(sandbox: Sandbox) -> None:
    rule = await sandbox.create(route=ME, effect={"kind": "error", "status": 503, "retry_after": 4})
    response = await sandbox.http.get(ME, headers={**sandbox.key(BANK), "X-Request-ID": "f-503"})
    body = assert_injected(response, 503, rule["id"])
    assert response.headers["retry-after"] == "4"
    assert rule["id"] in body["detail"]
    assert body["request_id"] == "f-503" == response.headers["x-request-id"]
    assert body["instance"] == ME
    assert (await sandbox.rules())[0]["hits"] == 1


@pytest.mark.anyio
@pytest.mark.parametrize("status", [500, 502, 504])
async def test_other_injected_errors_have_their_status_and_no_retry_after(
    sandbox: Sandbox, status: int
) -> None:
    rule = await sandbox.create(route=ME, effect={"kind": "error", "status": status})
    response = await sandbox.http.get(ME, headers=sandbox.key(BANK))
    assert_injected(response, status, rule["id"])
    assert "retry-after" not in response.headers


@pytest.mark.anyio
async def test_a_latency_rule_delays_the_real_answer(sandbox: Sandbox) -> None:
    rule = await sandbox.create(route=ME, effect={"kind": "latency", "ms": 200})
    started = time.perf_counter()
    response = await sandbox.http.get(ME, headers=sandbox.key(BANK))
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert response.json()["code"] == BANK
    assert response.headers["x-sandbox-fault-injected"] == rule["id"]
    assert elapsed >= 0.2


@pytest.mark.anyio
async def test_a_uniform_latency_stays_within_its_bounds(sandbox: Sandbox) -> None:
    await sandbox.create(route=ME, effect={"kind": "latency", "min_ms": 60, "max_ms": 120})
    for _ in range(3):
        started = time.perf_counter()
        response = await sandbox.http.get(ME, headers=sandbox.key(BANK))
        elapsed = time.perf_counter() - started
        assert response.status_code == 200
        assert 0.06 <= elapsed < 1.0


def test_latency_distributions_draw_within_zero_and_thirty_seconds() -> None:
    rng = random.Random(3)
    normal = Effect(FaultKind.LATENCY, mean_ms=100, stddev_ms=400)
    drawn = [normal.delay_ms(rng) for _ in range(2000)]
    assert min(drawn) == 0.0  # below zero is clipped
    assert 80 < sum(drawn) / len(drawn) < 260  # the clipping pulls the mean up
    huge = Effect(FaultKind.LATENCY, mean_ms=29_000, stddev_ms=30_000)
    assert max(huge.delay_ms(rng) for _ in range(200)) == 30_000
    uniform = Effect(FaultKind.LATENCY, min_ms=10, max_ms=20)
    assert all(10 <= uniform.delay_ms(rng) <= 20 for _ in range(200))


@pytest.mark.anyio
async def test_a_slow_body_arrives_whole_but_slowly(sandbox: Sandbox) -> None:
    expected = (await sandbox.http.get(ME, headers=sandbox.key(BANK))).content
    rate = max(1, len(expected) * 4)  # the body takes about a quarter of a second
    rule = await sandbox.create(route=ME, effect={"kind": "slow_body", "bytes_per_second": rate})
    started = time.perf_counter()
    response = await sandbox.http.get(ME, headers=sandbox.key(BANK))
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert response.content == expected
    assert response.headers["x-sandbox-fault-injected"] == rule["id"]
    assert elapsed >= len(expected) / rate * 0.95


@pytest.mark.anyio
async def test_a_drop_gives_the_in_process_client_no_response(sandbox: Sandbox) -> None:
    # Over TCP the connection is closed (test below); httpx.ASGITransport, seeing the app
    # return without a complete response, raises instead of returning one.
    await sandbox.create(route=ME, effect={"kind": "drop"})
    with pytest.raises(AssertionError):
        await sandbox.http.get(ME, headers=sandbox.key(BANK))
    assert (await sandbox.http.get("/healthz")).status_code == 200


# --- matching ----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_probability_faults_about_that_share_of_requests(sandbox: Sandbox) -> None:
    rule = await sandbox.create(route=ME, probability=0.3, effect={"kind": "error", "status": 500})
    statuses = [
        (await sandbox.http.get(ME, headers=sandbox.key(BANK))).status_code for _ in range(300)
    ]
    faulted = statuses.count(500)
    assert statuses.count(200) + faulted == 300
    assert 60 <= faulted <= 120  # 90 expected; the band is over ±3.5 standard deviations
    assert (await sandbox.rules())[0]["hits"] == faulted
    assert rule["id"]


@pytest.mark.anyio
async def test_an_agency_rule_faults_that_agency_only(sandbox: Sandbox) -> None:
    await sandbox.create(agency=BANK, route="/v1/**", effect={"kind": "error", "status": 502})
    # The bank's key is not cached yet in this app: it is resolved through the database.
    assert (await sandbox.http.get(ME, headers=sandbox.key(BANK))).status_code == 502
    assert (await sandbox.http.get(ME, headers=sandbox.key(BANK))).status_code == 502
    assert (await sandbox.http.get(ME, headers=sandbox.key(TELECOM))).status_code == 200
    assert (await sandbox.http.get(ME)).status_code == 401  # no credentials: no agency
    bad_key = {"X-API-Key": "prk_00000000_nope"}
    assert (await sandbox.http.get(ME, headers=bad_key)).status_code == 401


@pytest.mark.anyio
async def test_a_bearer_token_is_matched_by_its_agency(sandbox: Sandbox) -> None:
    issued = await sandbox.http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": BANK,
            "client_secret": sandbox.keys[BANK],
        },
    )
    assert issued.status_code == 200, issued.text
    bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    await sandbox.create(agency=BANK, route=ME, effect={"kind": "error", "status": 504})
    assert (await sandbox.http.get(ME, headers=bearer)).status_code == 504
    assert (await sandbox.http.get(ME, headers=sandbox.key(TELECOM))).status_code == 200


@pytest.mark.anyio
async def test_route_and_method_decide_which_requests_are_faulted(
    sandbox: Sandbox, registry: Registry
) -> None:
    await sandbox.create(
        route="/v1/citizens/*", methods=["GET"], effect={"kind": "error", "status": 500}
    )
    bank = {**sandbox.key(BANK), "X-Purpose": "kyc_onboarding"}
    one = await sandbox.http.get(f"/v1/citizens/{registry.head}", headers=bank)
    assert one.status_code == 500  # answered by the lookup fast path once the key is cached
    cached = await sandbox.http.get(f"/v1/citizens/{registry.head}", headers=bank)
    assert cached.status_code == 500
    deeper = await sandbox.http.get(
        f"/v1/citizens/by-legacy-id/{registry.shared_legacy_id}", headers=bank
    )
    assert deeper.status_code != 500  # * stays within one segment
    verify = await sandbox.http.post(
        "/v1/identity/verify",
        json={
            "personal_id": registry.head,
            "purpose": "kyc_onboarding",
            "claims": {"full_name": "Trần Minh Khôi"},
        },
        headers=bank,
    )
    assert verify.status_code == 200
    await sandbox.http.delete("/v1/sandbox/faults", headers=ADMIN)

    await sandbox.create(
        route="/v1/citizens/**", methods=["POST", "GET"], effect={"kind": "error", "status": 504}
    )
    deeper = await sandbox.http.get(
        f"/v1/citizens/by-legacy-id/{registry.shared_legacy_id}", headers=bank
    )
    assert deeper.status_code == 504
    assert (await sandbox.http.get(ME, headers=bank)).status_code == 200


@pytest.mark.parametrize(
    ("route", "path", "matches"),
    [
        ("/v1/citizens/*", "/v1/citizens/079085000103", True),
        ("/v1/citizens/*", "/v1/citizens/by-legacy-id/271450777", False),
        ("/v1/citizens/*", "/v1/citizens", False),
        ("/v1/citizens/**", "/v1/citizens/by-legacy-id/271450777", True),
        ("/v1/citizens/{personal_id}", "/v1/citizens/079085000103", True),
        ("/v1/citizens/{personal_id}", "/v1/citizens/", False),
        ("/v1/identity/verify", "/v1/identity/verify", True),
        ("/v1/identity/verify", "/v1/identity/verify/batch", False),
        ("/v1/**", "/v1/", True),
        ("/v1/event?", "/v1/events", True),
        ("/v1/events?", "/v1/events/", False),
        ("/v1/a.b", "/v1/aXb", False),
    ],
)
def test_route_globs(route: str, path: str, matches: bool) -> None:
    assert (compile_route(route).fullmatch(path) is not None) is matches


@pytest.mark.anyio
async def test_a_rule_stops_when_it_expires(sandbox: Sandbox) -> None:
    await sandbox.create(route=ME, expires_in=1, effect={"kind": "error", "status": 503})
    assert (await sandbox.http.get(ME, headers=sandbox.key(BANK))).status_code == 503
    await asyncio.sleep(1.05)
    assert (await sandbox.http.get(ME, headers=sandbox.key(BANK))).status_code == 200
    assert await sandbox.rules() == []


@pytest.mark.anyio
async def test_health_probes_and_the_fault_endpoints_are_never_faulted(
    sandbox: Sandbox,
) -> None:
    await sandbox.create(route="/**", effect={"kind": "error", "status": 500})
    assert (await sandbox.http.get(ME, headers=sandbox.key(BANK))).status_code == 500
    for path in ("/healthz", "/readyz"):
        assert (await sandbox.http.get(path)).status_code == 200
        forced = await sandbox.http.get(path, headers={"X-Sandbox-Fault": "503"})
        assert forced.status_code == 200
    assert len(await sandbox.rules()) == 1
    forced = await sandbox.http.get(
        "/v1/sandbox/faults", headers={**ADMIN, "X-Sandbox-Fault": "garbage"}
    )
    assert forced.status_code == 200


# --- the X-Sandbox-Fault header ----------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("value", "status", "retry_after"),
    [
        ("503", 503, "1"),
        ("503; retry-after=7", 503, "7"),
        ("500", 500, None),
        ("502", 502, None),
        ("504", 504, None),
    ],
)
async def test_the_header_forces_an_error(
    sandbox: Sandbox, value: str, status: int, retry_after: str | None
) -> None:
    response = await sandbox.http.get(ME, headers={**sandbox.key(BANK), "X-Sandbox-Fault": value})
    body = assert_injected(response, status, "header")
    assert "X-Sandbox-Fault" in body["detail"]
    assert response.headers.get("retry-after") == retry_after


@pytest.mark.anyio
async def test_the_header_forces_latency_and_a_slow_body(sandbox: Sandbox) -> None:
    bank = sandbox.key(BANK)
    expected = (await sandbox.http.get(ME, headers=bank)).content
    started = time.perf_counter()
    late = await sandbox.http.get(ME, headers={**bank, "X-Sandbox-Fault": "latency=150ms"})
    assert time.perf_counter() - started >= 0.15
    assert late.status_code == 200
    assert late.headers["x-sandbox-fault-injected"] == "header"
    rate = len(expected) * 5
    started = time.perf_counter()
    slow = await sandbox.http.get(ME, headers={**bank, "X-Sandbox-Fault": f"slow={rate}"})
    assert time.perf_counter() - started >= 0.19
    assert slow.content == expected
    with pytest.raises(AssertionError):  # drop, in-process (see the TCP test)
        await sandbox.http.get(ME, headers={**bank, "X-Sandbox-Fault": "drop"})


@pytest.mark.anyio
@pytest.mark.parametrize(
    "value",
    ["404", "latency=40000ms", "latency=fast", "slow=0", "drop please", "500;retry-after=3", ""],
)
async def test_a_malformed_header_is_a_clear_400(sandbox: Sandbox, value: str) -> None:
    response = await sandbox.http.get(ME, headers={**sandbox.key(BANK), "X-Sandbox-Fault": value})
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "INVALID_FAULT_HEADER"
    assert "X-Sandbox-Fault" in body["detail"]
    assert "x-sandbox-fault-injected" not in response.headers


def test_header_values_parse_into_effects() -> None:
    assert parse_header(" LATENCY = 800ms ") == Effect(FaultKind.LATENCY, ms=800)
    assert parse_header("latency=800") == Effect(FaultKind.LATENCY, ms=800)
    assert parse_header("slow=2000") == Effect(FaultKind.SLOW_BODY, bytes_per_second=2000)
    assert parse_header("Drop") == Effect(FaultKind.DROP)
    assert parse_header("503") == Effect(FaultKind.ERROR, status=503, retry_after=1)
    assert parse_header("502") == Effect(FaultKind.ERROR, status=502)


@pytest.mark.anyio
async def test_hardened_mode_ignores_the_header_and_rules_and_hides_the_endpoints(
    sandbox: Sandbox, settings: Settings
) -> None:
    await sandbox.create(route=ME, effect={"kind": "error", "status": 500})
    assert (await sandbox.http.get(ME, headers=sandbox.key(BANK))).status_code == 500
    hardened = create_app(
        Settings(
            database_url=settings.database_url,
            mode=Mode.HARDENED,
            admin_token=SecretStr("a-real-admin-token-0123456789"),
            access_log=False,
        )
    )
    admin = {"Authorization": "Bearer a-real-admin-token-0123456789"}
    transport = httpx.ASGITransport(app=hardened)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as http:
            forced = await http.get(ME, headers={**sandbox.key(BANK), "X-Sandbox-Fault": "503"})
            assert forced.status_code == 200
            assert "x-sandbox-fault-injected" not in forced.headers
            bad = await http.get(ME, headers={**sandbox.key(BANK), "X-Sandbox-Fault": "nonsense"})
            assert bad.status_code == 200
            for method in ("GET", "POST", "DELETE"):
                refused = await http.request(method, "/v1/sandbox/faults", json=RULE, headers=admin)
                assert refused.status_code == 404
                assert refused.json()["code"] == "FAULTS_DISABLED"
    finally:
        hardened.state.database.dispose()
    assert len(await sandbox.rules()) == 1  # untouched


# --- the audit log -------------------------------------------------------------------------


@pytest.mark.anyio
async def test_every_injected_fault_is_audited_as_injected(
    sandbox: Sandbox, registry: Registry
) -> None:
    bank = sandbox.key(BANK)
    await sandbox.http.get(ME, headers={**bank, "X-Sandbox-Fault": "503", "X-Request-ID": "fa-1"})
    [by_header] = await sandbox.audit("fa-1")
    assert by_header["operation"] == "fault_injected"
    assert by_header["outcome"] == "injected"
    assert by_header["code"] == "INJECTED_FAULT"
    assert by_header["agency_code"] == BANK
    assert by_header["detail"] == {
        "source": "header",
        "header": "503",
        "kind": "error",
        "status": 503,
        "method": "GET",
        "route": ME,
    }

    rule = await sandbox.create(
        route="/v1/citizens/*", effect={"kind": "latency", "ms": 5}, agency=BANK
    )
    purpose = {**bank, "X-Purpose": "kyc_onboarding", "X-Request-ID": "fa-2"}
    answered = await sandbox.http.get(f"/v1/citizens/{registry.head}", headers=purpose)
    assert answered.status_code == 200
    records = await sandbox.audit("fa-2")
    injected = [r for r in records if r["operation"] == "fault_injected"]
    assert [r["operation"] for r in records] == ["fault_injected", "lookup"]
    assert injected[0]["detail"] == {
        "source": "rule",
        "rule_id": rule["id"],
        "rule_route": "/v1/citizens/*",
        "kind": "latency",
        "ms": 5,
        "method": "GET",
        "route": "/v1/citizens/{id}",  # the personal ID is not copied into the record
    }
    assert injected[0]["personal_id"] is None


def test_the_audited_path_leaves_identity_numbers_out() -> None:
    assert loggable_path("/v1/citizens/079085000103") == "/v1/citizens/{id}"
    assert loggable_path("/v1/citizens/by-legacy-id/271450777") == "/v1/citizens/by-legacy-id/{id}"
    assert loggable_path("/v1/events/1842") == "/v1/events/1842"


# --- several processes ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_another_process_applies_a_rule_within_its_refresh_interval(
    sandbox: Sandbox, settings: Settings
) -> None:
    other = create_app(settings.model_copy(update={"fault_refresh_seconds": 0.2}))
    transport = httpx.ASGITransport(app=other)
    bank = sandbox.key(BANK)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as http:
            assert (await http.get(ME, headers=bank)).status_code == 200
            rule = await sandbox.create(route=ME, effect={"kind": "error", "status": 502})
            await asyncio.sleep(0.25)
            assert (await http.get(ME, headers=bank)).status_code == 502
            assert (await http.get(ME, headers=bank)).status_code == 502
            # Its hits are written at its next refresh, and then counted everywhere.
            await asyncio.sleep(0.25)
            assert (await http.get("/v1/sandbox/personas")).status_code == 200
            assert (await sandbox.rules())[0]["hits"] == 2
            await sandbox.http.delete(f"/v1/sandbox/faults/{rule['id']}", headers=ADMIN)
            await asyncio.sleep(0.25)
            assert (await http.get(ME, headers=bank)).status_code == 200
    finally:
        other.state.database.dispose()


@pytest.fixture
def two_servers(database_url: str, no_rules: None) -> Iterator[tuple[str, str]]:
    ports = (free_port(), free_port())
    servers = [serve(database_url, port) for port in ports]
    try:
        bases = tuple(f"http://127.0.0.1:{port}" for port in ports)
        for base in bases:
            wait_ready(base)
        yield bases[0], bases[1]
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=15)


def raw_get(base: str, path: str, headers: dict[str, str]) -> bytes:
    """Everything the server writes back to one HTTP/1.1 request, until it closes."""
    host, port = base.removeprefix("http://").split(":")
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_over_tcp_a_drop_closes_the_connection_and_rules_reach_every_process(
    two_servers: tuple[str, str], registry: Registry
) -> None:
    first, second = two_servers
    bank = {"X-API-Key": registry.keys[BANK]}
    telecom = {"X-API-Key": registry.keys[TELECOM]}

    # The header: the server hangs up without writing a byte.
    assert raw_get(first, ME, {**bank, "X-Sandbox-Fault": "drop"}) == b""
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{first}{ME}", headers={**bank, "X-Sandbox-Fault": "drop"})
    assert raw_get(first, ME, bank).startswith(b"HTTP/1.1 200 ")

    # A rule made through one process is applied by the other within about a second.
    created = httpx.post(
        f"{first}/v1/sandbox/faults",
        json={"agency": BANK, "route": ME, "effect": {"kind": "drop"}},
        headers=ADMIN,
    )
    assert created.status_code == 201, created.text
    started = time.monotonic()
    while raw_get(second, ME, bank) != b"":
        assert time.monotonic() - started < 3, "the second process never applied the rule"
        time.sleep(0.05)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{second}{ME}", headers=bank)
    assert httpx.get(f"{second}{ME}", headers=telecom).status_code == 200

    # The second process's hits are written at its next refresh and listed by the first.
    time.sleep(1.1)
    assert httpx.get(f"{second}{ME}", headers=telecom).status_code == 200
    [rule] = httpx.get(f"{first}/v1/sandbox/faults", headers=ADMIN).json()["rules"]
    assert rule["hits"] >= 2
    cleared = httpx.delete(f"{first}/v1/sandbox/faults", headers=ADMIN)
    assert cleared.json() == {"deleted": 1}
    started = time.monotonic()
    while raw_get(second, ME, bank) == b"":
        assert time.monotonic() - started < 3, "the second process kept a deleted rule"
        time.sleep(0.05)


# --- a connector against a flaky registry -------------------------------------------------


@pytest.mark.anyio
async def test_a_connector_retries_through_thirty_percent_of_503s(sandbox: Sandbox) -> None:
    rule = await sandbox.create(
        agency=BANK,
        route="/v1/**",
        probability=0.3,
        effect={"kind": "error", "status": 503, "retry_after": 0},
    )
    log = CallLog()
    bank = make_connector(
        BankConnector,
        sandbox.http,
        log=log,
        retry=RetryPolicy(attempts=8, base_seconds=0.002, max_seconds=0.01),
        seed=5,
    )
    # Paced below the bank's rate limit, so every retry is the fault's doing.
    result = await run(bank, RunPlan(rate=25, seconds=2.0, concurrency=4))
    assert result.failed_steps == 0
    assert result.steps >= 20
    calls = list(log)
    retried = [call for call in calls if call.attempts > 1]
    assert retried, "no call needed a retry"
    assert any(call.status == 200 for call in retried)
    assert result.summary.outcomes.get("server_error", 0) <= 1  # 0.3**8 per call at worst
    assert all(call.code != "RATE_LIMITED" for call in calls)
    [listed] = await sandbox.rules()
    assert listed["id"] == rule["id"]
    # Each retry followed a 503 injected on purpose (the last attempt may be one too).
    assert listed["hits"] >= sum(call.attempts - 1 for call in calls)
