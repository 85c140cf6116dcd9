"""Contract fuzzing: every operation of popreg's own OpenAPI document, with schemathesis.

The document is the one the app publishes at run time, so operations added later are
fuzzed too. Each operation runs twice: without credentials, and with valid ones (an
agency API key whose purpose allows every operation and field, the admin token for
admin routes, a citizen token for /v1/me). Promise: no 5xx; every status code, content
type, header and body is one the document gives for the operation; what the document
calls invalid gets a 4xx; an undocumented method gets 405 with the documented `Allow`.

Profiles (docs/reliability.md): ``short`` (default, part of ``make test``: derandomized,
a few fuzzed examples per operation, SQLite) and ``long`` (``make fuzz``:
``POPREG_FUZZ_PROFILE=long``, many examples, SQLite then PostgreSQL).
``POPREG_FUZZ_BACKEND=postgresql`` picks PostgreSQL, ``POPREG_FUZZ_EXAMPLES`` the fuzzed
examples per operation, ``POPREG_FUZZ_SEED`` the seed; ``POPREG_FUZZ_REPORT`` names a
file for the per-operation summary of status codes.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis import Case, CheckFunction
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.agencies.demo import ensure_demo_agencies
from app.config import Settings
from app.main import create_app
from app.schema import upgrade
from seed import populate
from tests.databases import create_postgres_database, drop_postgres_database, postgres_server_url
from tests.reliability.contract_target import BASE_URL, VARIANTS, ContractTarget
from tests.reliability.inprocess import serve

PROFILE = os.environ.get("POPREG_FUZZ_PROFILE", "short")
BACKEND = os.environ.get("POPREG_FUZZ_BACKEND", "sqlite")
EXAMPLES = {"short": 5, "long": 200}
CITIZENS = {"short": 500, "long": 5_000}
SEED = 20_260_601
REQUEST_TIMEOUT = 20.0  # seconds; a request still running then is a failure (a hang)
# Batch operations refuse an invalid item in their 200 answer, item by item, as documented:
# a batch holding one is not rejected as a whole.
PER_ITEM_REFUSAL = {"POST /v1/records:batch"}

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,  # what the document says is invalid gets a 4xx
    unsupported_method,  # a method the path does not take: 405 …
    allow_header_conformance,  # … whose Allow lists exactly the documented methods
]


def published_document() -> dict[str, Any]:
    """The OpenAPI document the app serves (not the committed copy)."""
    app = create_app(Settings(database_url="sqlite://", access_log=False))
    try:
        return app.openapi()
    finally:
        app.state.database.dispose()


DOCUMENT = published_document()
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": int(os.environ.get("POPREG_FUZZ_SEED", SEED)),
        "base-url": BASE_URL,
        "generation": {
            "mode": "all",
            "max-examples": int(os.environ.get("POPREG_FUZZ_EXAMPLES", EXAMPLES[PROFILE])),
            "deterministic": PROFILE == "short",
            "database": "none",
            # Credentials are the harness's: none, or valid ones (never generated garbage).
            "with-security-parameters": False,
        },
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            # A refusal is any 4xx popreg documents, 413 (body over the size limit) included.
            "negative_data_rejection": {
                "expected-statuses": [400, 401, 403, 404, 405, 409, 413, 415, 422, 429]
            }
        },
        "suppress-health-check": ["all"],
    }
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


# NDJSON cleaning uploads are documented as strings: sent as text, like text/plain.
schemathesis.serializer.alias("application/x-ndjson", "text/plain")


@pytest.fixture(scope="module")
def contract_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database of the chosen backend, migrated and seeded (personas first)."""
    if BACKEND == "postgresql":
        server = postgres_server_url()
        name = f"popreg_fuzz_{uuid.uuid4().hex[:8]}"
        try:
            url = create_postgres_database(server, name)
        except SQLAlchemyError as exc:
            pytest.skip(f"PostgreSQL not reachable at {server} ({type(exc).__name__})")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('contract') / 'popreg.db'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        populate(engine, citizens=CITIZENS[PROFILE], seed=1, helpers=0)
        with Session(engine) as session, session.begin():
            ensure_demo_agencies(session)  # the document's examples name them
    finally:
        engine.dispose()
    yield url
    if BACKEND == "postgresql":
        drop_postgres_database(server, name)


@pytest.fixture(scope="module")
def target(contract_database_url: str) -> Iterator[ContractTarget]:
    settings = Settings(
        database_url=contract_database_url,
        access_log=False,
        webhooks=False,  # fuzzed subscriptions name made-up receivers
        token_lifetime_seconds=86_400,  # the citizen token outlives a long run
    )
    with serve(create_app(settings), BASE_URL) as server:
        contract = ContractTarget(server=server, document=DOCUMENT)
        contract.set_up(contract_database_url)
        yield contract
        report = os.environ.get("POPREG_FUZZ_REPORT")
        if report:
            labels = [
                f"{method.upper()} {path}"
                for path, item in DOCUMENT["paths"].items()
                for method in item
            ]
            title = f"{PROFILE} profile on {BACKEND}"
            Path(report).write_text(contract.coverage.as_markdown(labels, title), "utf-8")


@pytest.mark.parametrize("variant", VARIANTS)
@schema.parametrize()
def test_operation_keeps_its_contract(
    case: Case[Any], variant: str, target: ContractTarget
) -> None:
    target.prepare(case, variant)
    response = case.call(session=target.session(case, variant), timeout=REQUEST_TIMEOUT)
    target.coverage.record(case.operation.label, variant, response.status_code)
    target.clean_up(case, response)
    if target.security(case):
        if variant == "credentials":
            assert response.status_code != 401, f"valid credentials refused: {response.text}"
        else:
            assert not 200 <= response.status_code < 300, "answered without credentials"
    excluded: list[CheckFunction] = []
    if case.operation.label in PER_ITEM_REFUSAL:
        excluded.append(negative_data_rejection)
    case.validate_response(response, checks=CHECKS, excluded_checks=excluded)
