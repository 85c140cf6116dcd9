"""A fresh database per backend with a known audit log, shared by the usage tests.

The rows are committed (the endpoint and the CLI read through their own
connections), so they live in a database of their own, not the shared one.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from app.agencies.demo import ensure_demo_agencies
from app.audit import repository
from app.audit.records import AuditEntry
from app.config import Settings
from app.db import build_engine
from app.schema import upgrade
from tests.conftest import BACKENDS, empty_database_url


@dataclass(frozen=True)
class UsageLog:
    url: str
    keys: dict[str, str]  # agency code → API key


def _verified(operation: str, agency: str, when: str, *fields: str) -> AuditEntry:
    return AuditEntry(
        operation=operation,
        outcome="verified",
        agency_code=agency,
        purpose="subscriber_verification",
        personal_id="079085000103",
        fields=("personal_id", *fields),
        occurred_at=when,
    )


OCT = "2026-10-05T10:00:00.000000Z"
ENTRIES = [
    # saomai-telecom in October 2026: verify 2 × 3 fields; batch_verify 3 × 3 + 1 × 2 fields;
    _verified("verify", "saomai-telecom", OCT, "full_name", "birth_date"),
    _verified("verify", "saomai-telecom", "2026-10-31T23:59:59.999999Z", "full_name", "sex"),
    *[_verified("batch_verify", "saomai-telecom", OCT, "full_name", "birth_date")] * 3,
    _verified("batch_verify", "saomai-telecom", OCT, "full_name"),
    # … one row of a cleaning job (4 fields), and a cleaning chunk's record, which stands
    # for 3 verifications of 11 fields in all (its detail counts them).
    _verified("clean", "saomai-telecom", OCT, "full_name", "birth_date", "phone"),
    AuditEntry(
        operation="clean",
        outcome="verified",
        agency_code="saomai-telecom",
        purpose="subscriber_verification",
        fields=("personal_id", "full_name", "birth_date", "phone"),
        detail={
            "job": "0" * 32,
            "rows": [1, 4],
            "verifications": 3,
            "fields_checked": 11,
            "citizens": ["079085000103", "079085000104"],
        },
        occurred_at=OCT,
    ),
    # Not metered: no citizen compared, refused, not a verification, other months.
    AuditEntry(
        operation="verify", outcome="not_found", agency_code="saomai-telecom", occurred_at=OCT
    ),
    AuditEntry(
        operation="batch_verify", outcome="invalid", agency_code="saomai-telecom", occurred_at=OCT
    ),
    AuditEntry(
        operation="verify",
        outcome="denied",
        agency_code="saomai-telecom",
        code="FIELD_NOT_ALLOWED",
        occurred_at=OCT,
    ),
    AuditEntry(
        operation="lookup",
        outcome="disclosed",
        agency_code="saomai-telecom",
        fields=("personal_id", "full_name", "birth_date", "sex"),
        occurred_at=OCT,
    ),
    _verified("verify", "saomai-telecom", "2026-09-30T23:59:59.999999Z", "full_name"),
    _verified("verify", "saomai-telecom", "2026-11-01T00:00:00.000000Z", "full_name"),
    # December rolls over to the next year.
    _verified("verify", "saomai-telecom", "2026-12-31T23:59:59.999999Z", "full_name"),
    _verified("verify", "saomai-telecom", "2027-01-01T00:00:00.000000Z", "sex"),
    # Another agency, and one no longer registered.
    _verified("verify", "phusa-bank", OCT, "full_name", "birth_date", "sex"),
    _verified("batch_verify", "retired-credit-fund", OCT, "full_name"),
]


def _fresh_url(backend: str, request: pytest.FixtureRequest, tmp: pytest.TempPathFactory) -> str:
    return empty_database_url(backend, tmp.mktemp("usage"), request)


@pytest.fixture(scope="module", params=BACKENDS)
def usage_log(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> UsageLog:
    url = _fresh_url(request.param, request, tmp_path_factory)
    upgrade(url)
    engine = build_engine(Settings(database_url=url))
    try:
        with Session(engine) as session, session.begin():
            keys = {spec.code: key for spec, key in ensure_demo_agencies(session)}
        repository.append(engine, ENTRIES)
    finally:
        engine.dispose()
    return UsageLog(url=url, keys=keys)
