"""What the dashboard shows, gathered through the domain services and repositories."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.agencies import service as agencies
from app.audit import repository as audit_repository
from app.audit.records import AuditEntry
from app.citizen import service as citizen
from app.cleaning.service import with_progress
from app.dashboard import repository
from app.db import Database
from app.events import outbox
from app.models.enums import CitizenField
from app.sandbox import faults_service
from app.sandbox import service as sandbox

DASHBOARD_AGENCY = "popreg-dashboard"
DASHBOARD_VIEW = "dashboard_view"
FEED_SIZE = 50


def policy_matrix(session: Session) -> dict[str, Any]:
    """Agencies × purposes × fields: who may see what, for which purpose."""
    rows = []
    for agency in agencies.list_agencies(session):
        for purpose in sorted(agency.purposes, key=lambda p: p.code):
            rows.append(
                {
                    "agency": agency.code,
                    "agency_name": agency.name,
                    "sector": str(agency.sector),
                    "purpose": purpose.code,
                    "description": purpose.description,
                    "operations": sorted(purpose.operations),
                    "fields": set(purpose.fields),
                    "consent_required": purpose.consent_required,
                }
            )
    return {"fields": [f.value for f in CitizenField], "rows": rows}


def personas(session: Session) -> list[dict[str, Any]]:
    return [p.model_dump() for p in sandbox.list_personas(session).personas]


def cleaning_jobs(database: Database, limit: int = 20) -> list[dict[str, Any]]:
    with database.engine.connect() as connection:
        return [with_progress(job) for job in repository.recent_jobs(connection, limit)]


def subscriptions(database: Database, limit: int = 50) -> list[dict[str, Any]]:
    with database.engine.connect() as connection:
        rows = repository.active_subscriptions(connection, limit)
        counts = outbox.delivery_counts(connection, [row["id"] for row in rows])
    return [{**row, "deliveries": counts[row["id"]]} for row in rows]


def fault_rules(session: Session, unflushed: dict[str, int]) -> list[dict[str, Any]]:
    listed = faults_service.list_rules(session, datetime.now(UTC), unflushed)
    return [rule.model_dump(mode="json") for rule in listed.rules]


def tracker(session: Session, personal_id: str) -> list[dict[str, Any]]:
    """Every access to one citizen, newest first, in the citizen's own words."""
    records, _ = citizen.access_log(session, personal_id, before=None, limit=200)
    return [record.model_dump(mode="json") for record in records]


def tracker_view_entry(personal_id: str, request_id: str | None) -> AuditEntry:
    """Looking at a citizen's tracker in the dashboard is itself an access."""
    return AuditEntry(
        operation=DASHBOARD_VIEW,
        outcome="disclosed",
        agency_code=DASHBOARD_AGENCY,
        purpose="workshop_demonstration",
        personal_id=personal_id,
        request_id=request_id,
        detail={"view": "data_tracker"},
    )


def newest_seq(database: Database) -> int:
    return audit_repository.newest_seq(database.engine)


def audit_after(database: Database, after: int, limit: int = 200) -> list[dict[str, Any]]:
    """Audit records after ``after``, in the shape the live feed shows."""
    with database.engine.connect() as connection:
        rows = audit_repository.events(connection, after=after, limit=limit)
    return [feed_item(row) for row in rows]


def feed_item(row: dict[str, Any]) -> dict[str, Any]:
    occurred = row["occurred_at"]
    return {
        "seq": row["seq"],
        "when": occurred.isoformat() if isinstance(occurred, datetime) else str(occurred),
        "agency": row["agency_code"],
        "purpose": row["purpose"],
        "operation": row["operation"],
        "outcome": row["outcome"],
        "code": row["code"],
        "fields": row["fields"] or [],
        "injected": row["operation"] == "fault_injected",
    }


def audit_counters(items: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per-second counts from new audit records: by agency and operation, denials by code."""
    return {
        "by_agency_operation": dict(
            Counter(f"{i['agency'] or '-'} · {i['operation']}" for i in items).most_common(12)
        ),
        "denials_by_code": dict(
            Counter(i["code"] or "-" for i in items if i["outcome"] == "denied")
        ),
    }
