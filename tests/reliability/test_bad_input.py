"""Bad input gets a clear 4xx (problem+json with a stable code), never a 500, and changes nothing.

The parameter corpus is driven by the app's own OpenAPI document: every path, query and
header parameter of every operation gets, one at a time, SQL and LIKE wildcards, quotes,
a NUL, a 10,000-character string, full-width and Arabic-Indic digits (strings), or -1, 0,
2**63, 10**30, ``abc`` and other non-integers (integers outside their bounds), with
everything else valid (credentials of an agency whose one purpose allows every
operation and field, the admin token, a citizen token). A GET may answer 2xx to a
string filter only with exactly what a filter matching nothing gets (a wildcard must
not act as one). Every JSON body gets the body corpus: over
``POPREG_MAX_REQUEST_BODY_BYTES`` (with a length and chunked without one), nested
10,000 deep, wrong content types, invalid UTF-8, a NUL. Hand-written cases cover
personal IDs in bodies, batches of 100,001 records, sign-in, uploads and the dashboard.

"Nothing changed": every table but the audit log is fingerprinted before and after
each operation's corpus, and the audit records the corpus caused are all refusals.
Oversized request heads need a real server (tests/security/servers.py): 431.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import socket
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.main import create_app
from app.models import AuditEvent
from app.models.base import Base
from app.models.enums import CitizenField, Operation, Sector
from tests.conftest import Registry
from tests.events.conftest import People
from tests.security.servers import popreg_server

pytestmark = pytest.mark.anyio

ADMIN_TOKEN = "sandbox-admin-token"
PURPOSE = "everything"
LONG = "x" * 10_000
STRINGS = [
    "%",
    "_",
    "%%",
    "_%_",
    "' OR 1=1 --",
    '" OR ""="',
    "'; DROP TABLE citizen; --",
    "*",
    "\\",
    "a\x00b",
    LONG,
    "０７９０８５０００１０３",  # full-width digits
    "٠٧٩٠٨٥٠٠٠١٠٣",  # Arabic-Indic digits
    "07908500010٣",
    "../../etc/passwd",
    "<script>alert(1)</script>",
]
INTEGERS = ["-1", "0", str(2**63), str(10**30), "abc", "1.5", "1e3", "", " 7", "٣", "０"]
NO_MATCH = "zz-no-match-zz"
# Free text by design: any value is a valid idempotency key or request id.
FREE_TEXT_HEADERS = {"idempotency-key", "x-request-id"}
# Tables whose rows a refused request may add: the audit log records refusals.
AUDIT_TABLES = {"audit_event", "audit_head", "audit_subject", "audit_index_state", "signing_key"}
REFUSAL_OUTCOMES = {"denied", "invalid", "not_found"}
CODE = re.compile(r"^[A-Z][A-Z0-9_]+$")


def _document() -> dict[str, Any]:
    application = create_app(Settings(database_url="sqlite://", access_log=False))
    try:
        return application.openapi()
    finally:
        application.state.database.dispose()


DOCUMENT = _document()


@dataclass(frozen=True)
class OperationSpec:
    method: str
    path: str
    spec: dict[str, Any] = field(hash=False, compare=False)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def parameters(self) -> list[dict[str, Any]]:
        return [
            p
            for p in self.spec.get("parameters", [])
            if not (p["in"] == "header" and p["name"].lower() in FREE_TEXT_HEADERS)
        ]

    @property
    def json_body(self) -> bool:
        return "application/json" in self.spec.get("requestBody", {}).get("content", {})


OPERATIONS = [
    OperationSpec(method.upper(), path, spec)
    for path, item in DOCUMENT["paths"].items()
    for method, spec in item.items()
]
WITH_PARAMETERS = [op for op in OPERATIONS if op.parameters]
WITH_JSON_BODY = [op for op in OPERATIONS if op.json_body]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _schema(parameter: dict[str, Any]) -> dict[str, Any]:
    schema = _resolve(parameter.get("schema", {}))
    for option in schema.get("anyOf", []):
        option = _resolve(option)
        if option.get("type") != "null":
            return option
    return schema


def _example_body(operation: OperationSpec) -> Any:
    content = operation.spec["requestBody"]["content"]["application/json"]
    if "example" in content:
        return content["example"]
    examples = content.get("examples")
    if examples:
        return next(iter(examples.values()))["value"]
    schema = _resolve(content.get("schema", {}))
    return schema.get("example", schema.get("examples", [{}])[0])


# --- the world the corpus runs in ---------------------------------------------------


@dataclass
class World:
    """The corpus's own agency and citizen: whatever a bad request wrongly did would
    happen to them, never to the shared test registry."""

    client: httpx.AsyncClient
    engine: Engine
    registry: Registry
    agency_code: str
    citizen: str
    legacy_id: str
    agency_headers: dict[str, str]
    citizen_headers: dict[str, str]

    def headers_for(self, path: str) -> dict[str, str]:
        if path.startswith(("/v1/admin/", "/v1/sandbox/")) and path != "/v1/sandbox/personas":
            return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        if path.startswith("/v1/me"):
            return dict(self.citizen_headers)
        if path.startswith(("/v1/citizen/login", "/oauth/", "/.well-known/")):
            return {}
        return dict(self.agency_headers)

    def path_value(self, name: str, parameter: dict[str, Any]) -> str:
        known = {
            "personal_id": self.citizen,
            "legacy_id": self.legacy_id,
            "code": self.agency_code,
            "purpose": PURPOSE,
            "prefix": "prk_00000000",
        }
        if name in known:
            return known[name]
        return str(valid_value(parameter, fallback="0"))


def valid_value(parameter: dict[str, Any], fallback: Any = "x") -> Any:
    schema = _schema(parameter)
    for source in (parameter, schema):
        if "example" in source:
            return source["example"]
        if source.get("examples"):
            examples = source["examples"]
            return examples[0] if isinstance(examples, list) else next(iter(examples.values()))
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("type") == "integer":
        return schema.get("default", schema.get("minimum", 1))
    if schema.get("type") == "array":
        return [valid_value({"schema": schema.get("items", {})}, fallback)]
    return schema.get("default", fallback)


def everything_purpose() -> dict[str, Any]:
    return {
        "description": "Bad-input corpus: every operation and field",
        "operations": [op.value for op in Operation],
        "fields": [f.value for f in CitizenField],
    }


@pytest.fixture
async def world(settings: Settings, engine: Engine, registry: Registry) -> AsyncIterator[World]:
    application = create_app(
        settings.model_copy(
            update={
                "rate_limits": False,
                "auth_max_failures": 0,
                "citizen_login_max_failures": 0,
                "citizen_login_max_failures_per_ip": 0,
                "access_log": False,
            }
        )
    )
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://popreg.test", timeout=60
    ) as client:
        code = f"badinput-{uuid.uuid4().hex[:8]}"
        created = await client.post(
            "/v1/admin/agencies",
            json={
                "code": code,
                "name": "Bad-input corpus",
                "sector": Sector.CIVIL_REGISTRY.value,
                "purposes": {PURPOSE: everything_purpose()},
            },
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert created.status_code == 201, created.text
        legacy_id = f"{uuid.uuid4().int % 10**9:09d}"
        citizen = People(engine).add(legacy_id=legacy_id, phone="0912345678")
        login = await client.post(
            "/v1/citizen/login", json={"personal_id": citizen, "code": "123456"}
        )
        assert login.status_code == 200, login.text
        yield World(
            client=client,
            engine=engine,
            registry=registry,
            agency_code=code,
            citizen=citizen,
            legacy_id=legacy_id,
            agency_headers={
                "X-API-Key": created.json()["api_key"]["api_key"],
                "X-Purpose": PURPOSE,
            },
            citizen_headers={"Authorization": f"Bearer {login.json()['access_token']}"},
        )
    application.state.database.dispose()


# --- nothing changed ----------------------------------------------------------------


def fingerprint(engine: Engine) -> tuple[dict[str, str], int]:
    """A digest of every table but the audit log's, and the last audit seq."""
    digests = {}
    with engine.connect() as connection:
        for name, table in sorted(Base.metadata.tables.items()):
            if name in AUDIT_TABLES:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            rows = connection.execute(select(table).order_by(*order)).all()
            digests[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
        last = connection.execute(select(func.coalesce(func.max(AuditEvent.seq), 0))).scalar()
    return digests, int(last or 0)


@pytest.fixture
def unchanged(world: World) -> Iterator[None]:
    """Fails the test if any table but the audit log changed, or an audit record is not
    a refusal."""
    before, last_seq = fingerprint(world.engine)
    yield
    after, _ = fingerprint(world.engine)
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"tables changed by bad input: {changed}"
    with Session(world.engine) as session:
        outcomes = set(
            session.scalars(select(AuditEvent.outcome).where(AuditEvent.seq > last_seq).distinct())
        )
    assert outcomes <= REFUSAL_OUTCOMES, f"bad input was audited as {outcomes}"


# --- checking answers ---------------------------------------------------------------


def assert_clear_refusal(response: httpx.Response, case: str) -> None:
    assert 400 <= response.status_code < 500, f"{case}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == "application/problem+json", case
    body = response.json()
    assert CODE.match(body.get("code", "")), f"{case}: {body}"
    assert body["status"] == response.status_code, case


def _comparable(response: httpx.Response) -> Any:
    return response.json() if "json" in response.headers.get("content-type", "") else None


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    body: Any = None
    content: bytes | None = None

    async def send(self, client: httpx.AsyncClient) -> httpx.Response:
        return await client.request(
            self.method,
            self.path,
            params=self.params,
            headers=self.headers,
            json=self.body if self.content is None else None,
            content=self.content,
        )


def base_call(world: World, operation: OperationSpec) -> tuple[dict[str, str], Call]:
    path_values = {
        p["name"]: world.path_value(p["name"], p)
        for p in operation.spec.get("parameters", [])
        if p["in"] == "path"
    }
    params = {
        p["name"]: valid_value(p)
        for p in operation.spec.get("parameters", [])
        if p["in"] == "query" and p.get("required")
    }
    headers = world.headers_for(operation.path)
    call = Call(operation.method, operation.path, params, headers)
    content = operation.spec.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        call.body = _example_body(operation)
    elif "text/csv" in content:
        call.content = f"id_number\n{world.citizen}\n".encode()
        call.headers["Content-Type"] = "text/csv"
    elif "application/x-www-form-urlencoded" in content:
        call.content = b"grant_type=client_credentials"
        call.headers["Content-Type"] = "application/x-www-form-urlencoded"
    return path_values, call


def with_path(call: Call, template: str, values: dict[str, str]) -> Call:
    path = template
    for name, value in values.items():
        path = path.replace("{" + name + "}", urllib.parse.quote(value, safe=""))
    return Call(call.method, path, dict(call.params), dict(call.headers), call.body, call.content)


def bad_values(parameter: dict[str, Any]) -> list[Any]:
    schema = _schema(parameter)
    kind = schema.get("type")
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")

        def out_of_bounds(text_value: str) -> bool:
            if not (text_value.isascii() and text_value.strip().lstrip("-").isdigit()):
                return True
            number = int(text_value)
            return (low is not None and number < low) or (high is not None and number > high)

        # (An empty path segment is another path: a redirect to it without the slash.)
        return [v for v in INTEGERS if out_of_bounds(v) and (v or parameter["in"] != "path")]
    if kind == "boolean":
        return ["maybe", "2", "%", LONG]
    values = [v for v in STRINGS if parameter["in"] != "path" or v]
    if parameter["in"] == "header":  # HTTP forbids NUL and non-Latin-1 text in headers
        values = [v for v in values if v.isascii() and "\x00" not in v]
    return values


@pytest.mark.parametrize("operation", WITH_PARAMETERS, ids=lambda op: op.label)
async def test_every_parameter_refuses_the_corpus(
    world: World, unchanged: None, operation: OperationSpec
) -> None:
    path_values, base = base_call(world, operation)
    for parameter in operation.parameters:
        name, where = parameter["name"], parameter["in"]
        array = _schema(parameter).get("type") == "array"
        for value in bad_values(parameter):
            call = with_path(base, operation.path, path_values)
            if where == "path":
                call = with_path(base, operation.path, {**path_values, name: value})
            elif where == "query":
                call.params[name] = [value] if array else value
            else:
                call.headers[name] = value
            case = f"{operation.label} {where} {name}={value[:40]!r}"
            response = await call.send(world.client)
            if response.status_code < 400 and operation.method == "GET" and where != "path":
                # A filter may accept any text, but must match only itself.
                reference = with_path(base, operation.path, path_values)
                no_match = NO_MATCH[: _schema(parameter).get("maxLength", len(NO_MATCH))]
                if where == "query":
                    reference.params[name] = [no_match] if array else no_match
                else:
                    reference.headers[name] = no_match
                expected = await reference.send(world.client)
                assert response.status_code == expected.status_code, case
                assert _comparable(response) == _comparable(expected), case
                continue
            assert_clear_refusal(response, case)


# --- bodies -------------------------------------------------------------------------

DEEP_ARRAY = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"a":' * 10_000 + b"1" + b"}" * 10_000


def body_corpus(limit: int) -> list[tuple[str, bytes, str, str | None]]:
    """(case, body, content type, the code it must get or None for any clear 4xx)."""
    json = "application/json"
    return [
        ("over the limit", b'{"a":"' + b"x" * (limit + 10) + b'"}', json, "PAYLOAD_TOO_LARGE"),
        ("nested 10,000 deep (arrays)", DEEP_ARRAY, json, "MALFORMED_JSON"),
        ("nested 10,000 deep (objects)", DEEP_OBJECT, json, "MALFORMED_JSON"),
        ("invalid UTF-8", b'{"personal_id": "\xff\xfe\xfd"}', json, "MALFORMED_JSON"),
        ("truncated", b'{"personal_id": "0790', json, "MALFORMED_JSON"),
        ("NUL escape", b'{"personal_id": "0790\\u000085000103"}', json, "INVALID_CHARACTER"),
        ("raw NUL", b'{"personal_id": "0790\x0085000103"}', json, "INVALID_CHARACTER"),
        ("empty", b"", json, None),
        ("null", b"null", json, None),
        ("a list", b"[]", json, None),
        ("text/plain", b"{}", "text/plain", None),
        ("XML", b"<citizen><personal_id>1</personal_id></citizen>", "application/xml", None),
        ("a form", b"personal_id=%25&purpose=_", "application/x-www-form-urlencoded", None),
        ("multipart", b"--x\r\n\r\n{}\r\n--x--\r\n", "multipart/form-data; boundary=x", None),
    ]


@pytest.mark.parametrize("operation", WITH_JSON_BODY, ids=lambda op: op.label)
async def test_every_json_body_refuses_the_body_corpus(
    world: World, settings: Settings, unchanged: None, operation: OperationSpec
) -> None:
    path_values, base = base_call(world, operation)
    for case, content, content_type, code in body_corpus(settings.max_request_body_bytes):
        call = with_path(base, operation.path, path_values)
        call.content = content
        call.headers["Content-Type"] = content_type
        response = await call.send(world.client)
        assert_clear_refusal(response, f"{operation.label}: {case}")
        if code is not None:
            assert response.json()["code"] == code, f"{operation.label}: {case}"
    # The same oversized body streamed without a length is cut off as it arrives.

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(settings.max_request_body_bytes // 65_536 + 2):
            yield b" " * 65_536

    call = with_path(base, operation.path, path_values)
    response = await world.client.request(
        call.method,
        call.path,
        params=call.params,
        headers={**call.headers, "Content-Type": "application/json"},
        content=chunks(),
    )
    assert_clear_refusal(response, f"{operation.label}: chunked")
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"


# --- hand-written cases -------------------------------------------------------------

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def bad_ids(valid: str) -> list[str]:
    """Shapes a personal ID must not have, made from a real one (whose record a wrongly
    accepted variant would reach: the corpus's own citizen)."""
    return [
        "",
        valid[:-1],
        valid + "1",
        valid[:-1] + "a",
        valid.translate(FULLWIDTH),
        valid.translate(ARABIC_INDIC),
        valid[:-1] + valid[-1].translate(ARABIC_INDIC),
        valid[0].translate(FULLWIDTH) + valid[1:],
        "%",
        "_" * 12,
        valid[:-1] + "%",
        valid[:-1] + "_",
        "' OR 1=1 --",
        f"{valid}' OR '1'='1",
        "999" + valid[3:],  # no such province
        valid[:3] + "9" + valid[4:],  # born in the 2300s
        LONG,
    ]


def malformed(ids: list[str]) -> list[str]:
    """Without the well-formed ones (12 ASCII digits of an unknown province or century),
    which APIs that check only the shape answer with 404, and without the empty one."""
    return [i for i in ids if i and not (i.isascii() and i.isdigit() and len(i) == 12)]


async def test_bad_ids_in_a_verify_body_are_refused(world: World, unchanged: None) -> None:
    # (Spaces around or inside an ID are normalised away, and a well-formed wrong ID is a
    # claim to check, a mismatch: neither is bad input.)
    for personal_id in malformed(bad_ids(world.citizen)):
        response = await world.client.post(
            "/v1/identity/verify",
            json={"personal_id": personal_id, "claims": {"full_name": "Nguyễn Văn An"}},
            headers=world.agency_headers,
        )
        assert_clear_refusal(response, repr(personal_id))
        assert response.json()["code"] in {"INVALID_ID_FORMAT", "VALIDATION_FAILED"}


async def test_bad_ids_in_civil_registry_bodies_are_refused(world: World, unchanged: None) -> None:
    for personal_id in malformed(bad_ids(world.citizen)):
        response = await world.client.post(
            "/v1/civil/deaths",
            json={"personal_id": personal_id, "death_date": "2026-01-02"},
            headers=world.agency_headers,
        )
        assert_clear_refusal(response, repr(personal_id))
        assert response.status_code == 422, personal_id


async def test_bad_ids_never_sign_a_citizen_in(world: World, unchanged: None) -> None:
    for personal_id in bad_ids(world.citizen):
        response = await world.client.post(
            "/v1/citizen/login", json={"personal_id": personal_id[:32], "code": "123456"}
        )
        assert_clear_refusal(response, repr(personal_id))
        assert "access_token" not in response.text
    for code in ["%", "______", "' OR 1=1 --", "１２３４５６", "123456\x00"]:
        response = await world.client.post(
            "/v1/citizen/login", json={"personal_id": world.citizen, "code": code}
        )
        assert_clear_refusal(response, repr(code))


async def test_wildcards_never_authenticate_a_client(world: World, unchanged: None) -> None:
    for client_id, secret in [
        ("%", "%"),
        ("phusa-bank", "prk_%_%"),
        ("phusa-bank", "prk_________%"),
        ("_", "prk_00000000_' OR 1=1 --"),
        ("phusa-bank", "prk_0000000\x00_x"),
    ]:
        response = await world.client.post(
            "/oauth/token",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            content=urllib.parse.urlencode(
                {
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": secret,
                }
            ).encode(),
        )
        assert_clear_refusal(response, repr(secret))
    for key in ["%", "prk_%_%", "prk_________x", "' OR 1=1 --", "prk_00000000_%"]:
        response = await world.client.get("/v1/agencies/me", headers={"X-API-Key": key})
        assert_clear_refusal(response, repr(key))
        assert response.status_code == 401


async def test_a_batch_of_100001_records_is_refused(
    world: World, unchanged: None, settings: Settings
) -> None:
    records = [{"personal_id": world.citizen}] * 100_001
    response = await world.client.post(
        "/v1/identity/verify/batch", json={"records": records}, headers=world.agency_headers
    )
    assert_clear_refusal(response, "100,001 records")
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    # Within the byte limit, over the record limit: refused by validation.
    small = [{"personal_id": world.citizen}] * 1001
    response = await world.client.post(
        "/v1/identity/verify/batch", json={"records": small}, headers=world.agency_headers
    )
    assert_clear_refusal(response, "1,001 records")
    assert response.status_code == 422


async def test_limits_out_of_range_are_refused(world: World, unchanged: None) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"}
    for body in [
        b'{"rate_per_second": 1e999999, "burst": 10}',
        b'{"rate_per_second": -1, "burst": 10}',
        b'{"rate_per_second": 0, "burst": 10}',
        b'{"rate_per_second": 10, "burst": ' + b"9" * 400 + b"}",
        b'{"rate_per_second": 10, "burst": 0}',
        b'{"rate_per_second": 10, "burst": 10, "daily_quota": -1}',
        b'{"rate_per_second": "NaN", "burst": 10}',
        b'{"rate_per_second": NaN, "burst": 10}',
        b'{"rate_per_second": Infinity, "burst": 10}',
    ]:
        response = await world.client.put(
            f"/v1/admin/agencies/{world.agency_code}/limits", content=body, headers=admin
        )
        assert_clear_refusal(response, body.decode()[:60])


async def test_audit_time_filters_take_iso_8601_only(world: World, unchanged: None) -> None:
    for bound in [
        "%",
        "_",
        "2026-13-01",
        "yesterday",
        "２０２６-１１-０１",
        "2026-11-01' OR '1'='1",
    ]:
        response = await world.client.get(
            "/v1/audit/events", params={"since": bound}, headers=world.agency_headers
        )
        assert_clear_refusal(response, bound)
        assert response.json()["code"] == "INVALID_TIMESTAMP"
    for bound in ["2026-11-01", "2026-11-01T08:00:00Z", "2026-11-01T15:00:00+07:00"]:
        response = await world.client.get(
            "/v1/audit/events", params={"until": bound}, headers=world.agency_headers
        )
        assert response.status_code == 200, bound
    # "%" used to sort before every timestamp and so matched the whole log.
    everything = await world.client.get(
        "/v1/audit/events", params={"since": "2000-01-01"}, headers=world.agency_headers
    )
    nothing = await world.client.get(
        "/v1/audit/events", params={"since": "2999-01-01"}, headers=world.agency_headers
    )
    assert nothing.json()["events"] == []
    assert everything.status_code == 200


async def test_uploads_with_a_header_that_is_not_utf8_store_nothing(
    world: World, unchanged: None
) -> None:
    for content in [b"\xff\xfeid_number\n079085000103\n", b"id_\x00number\n079085000103\n"]:
        response = await world.client.post(
            "/v1/cleaning/jobs",
            params={"sector": "telecom"},
            headers={**world.agency_headers, "Content-Type": "text/csv"},
            content=content,
        )
        assert_clear_refusal(response, repr(content[:12]))


async def test_subscription_bodies_with_wildcards_are_refused(
    world: World, unchanged: None
) -> None:
    base = {"url": "http://127.0.0.1:9/hook", "event_types": ["death"], "purpose": PURPOSE}
    for change in [
        {"personal_ids": ["%"]},
        {"personal_ids": [world.citizen.translate(FULLWIDTH)]},
        {"personal_ids": [world.citizen] * 100_001},
        {"event_types": ["%"]},
        {"url": "http://user:pass@127.0.0.1/hook"},
        {"url": "javascript:alert(1)"},
        {"url": "' OR 1=1 --"},
        {"purpose": "%"},
    ]:
        response = await world.client.post(
            "/v1/subscriptions", json={**base, **change}, headers=world.agency_headers
        )
        assert_clear_refusal(response, repr(change)[:80])


async def test_consent_bodies_with_wildcards_are_refused(world: World, unchanged: None) -> None:
    for body in [
        {"agency": "%", "purpose": "%"},
        {"agency": "phusa-bank", "purpose": "_"},
        {"agency": "' OR 1=1 --", "purpose": "kyc_onboarding"},
        {"agency": "phusa-bank", "purpose": "contact_update", "days": -1},
        {"agency": "phusa-bank", "purpose": "contact_update", "days": 10**30},
    ]:
        response = await world.client.post(
            "/v1/me/consents", json=body, headers=world.citizen_headers
        )
        assert_clear_refusal(response, repr(body))


async def test_the_dashboard_tracker_refuses_bad_ids_without_auditing_a_view(
    world: World, unchanged: None
) -> None:
    for personal_id in [*malformed(bad_ids(world.citizen)), "a\x00b"]:
        response = await world.client.get("/dashboard/tracker", params={"personal_id": personal_id})
        assert_clear_refusal(response, repr(personal_id))


# --- request heads (a real server) --------------------------------------------------


def raw_exchange(port: int, request: bytes) -> bytes:
    """Send ``request`` and read the answer; a server that closes early may reset us."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        answer = b""
        try:
            while chunk := sock.recv(65_536):
                answer += chunk
        except ConnectionResetError:
            pass
        return answer


@pytest.mark.parametrize(
    ("case", "head"),
    [
        ("one 70 KB header", b"X-Big: " + b"a" * 70_000 + b"\r\n"),
        ("one 10 MB header", b"X-Big: " + b"a" * 10_000_000 + b"\r\n"),
        ("20,000 headers", b"".join(b"X-H%d: v\r\n" % n for n in range(20_000))),
    ],
)
def test_oversized_request_heads_are_431_and_the_server_carries_on(
    database_url: str, tmp_path: Any, case: str, head: bytes
) -> None:
    with popreg_server(database_url, tmp_path) as server:
        port = int(server.base.rsplit(":", 1)[1])
        answer = raw_exchange(
            port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + head + b"Connection: close\r\n\r\n"
        )
        # The 431 is sent before the rest is read; a client still sending may see a reset.
        if answer:
            assert answer.startswith(b"HTTP/1.1 431"), (case, answer[:200])
            assert b"application/problem+json" in answer
            assert b'"code":"HEADERS_TOO_LARGE"' in answer
        long_url = raw_exchange(
            port, b"GET /healthz?" + b"a" * 1_000_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        assert not long_url or long_url.startswith(b"HTTP/1.1 431"), long_url[:200]
        # A head within the limit still passes, on the same server.
        fine = raw_exchange(
            port,
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
            + b"a" * 8_000
            + b"\r\nConnection: close\r\n\r\n",
        )
        assert fine.startswith(b"HTTP/1.1 200"), fine[:200]
        # A small head followed by a large body in the same write is not a large head.
        body = b'{"personal_id": "' + b"0" * 300_000 + b'"}'
        upload = raw_exchange(
            port,
            b"POST /v1/identity/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
            + body,
        )
        assert upload.startswith(b"HTTP/1.1 401"), upload[:200]
        assert httpx.get(f"{server.base}/healthz").status_code == 200
        assert "Traceback" not in server.output()


def test_the_corpus_covers_every_operation_with_parameters_or_a_body() -> None:
    covered = {op.label for op in WITH_PARAMETERS} | {op.label for op in WITH_JSON_BODY}
    others = {op.label for op in OPERATIONS} - covered
    # What is left takes neither parameters nor a JSON body.
    for label in others:
        method, path = label.split(" ", 1)
        spec = DOCUMENT["paths"][path][method.lower()]
        assert not spec.get("parameters"), label
        assert "application/json" not in spec.get("requestBody", {}).get("content", {}), label
    assert len(WITH_PARAMETERS) > 30
