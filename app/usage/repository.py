"""All SQL of usage metering: counts over the audit log, the single source of truth."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Integer, func, select
from sqlalchemy.sql.elements import ColumnElement

from app.models import Agency, AuditEvent

METERED_OPERATIONS = ("verify", "batch_verify", "clean")
# Only a verification that found its citizen compared fields; refusals and unknown IDs did not.
METERED_OUTCOME = "verified"


@dataclass(frozen=True, slots=True)
class UsageRow:
    agency_code: str
    operation: str
    verifications: int
    fields_checked: int


def _field_count() -> ColumnElement[int]:
    """How many fields one audit record checked.

    A record about one citizen: the length of its ``fields`` JSON array (both
    dialects spell it ``json_array_length``: SQLite over JSON text, PostgreSQL over
    the ``json`` column that ``sa.JSON`` creates). A cleaning chunk's record, about
    many citizens, counts them in its detail (``fields_checked``).
    """
    return func.coalesce(
        AuditEvent.detail["fields_checked"].as_integer(),
        func.json_array_length(AuditEvent.fields, type_=Integer),
    )


def _verifications() -> ColumnElement[int]:
    """How many verifications one record stands for: one, or a chunk's ``verifications``."""
    return func.coalesce(AuditEvent.detail["verifications"].as_integer(), 1)


def usage(
    connection: Connection, *, start: str, end: str, agency_code: str | None = None
) -> list[UsageRow]:
    """Verifications and fields checked per agency and operation, ``start <= occurred_at < end``.

    ``start`` and ``end`` are prefixes of the ISO 8601 text in ``occurred_at``
    (``2026-10`` and ``2026-11`` for October 2026), which sorts as time does.
    """
    fields = func.coalesce(func.sum(_field_count()), 0)
    query = (
        select(
            AuditEvent.agency_code,
            AuditEvent.operation,
            func.sum(_verifications()).label("verifications"),
            fields.label("fields_checked"),
        )
        .where(
            AuditEvent.operation.in_(METERED_OPERATIONS),
            AuditEvent.outcome == METERED_OUTCOME,
            AuditEvent.occurred_at >= start,
            AuditEvent.occurred_at < end,
            AuditEvent.agency_code.is_not(None),
        )
        .group_by(AuditEvent.agency_code, AuditEvent.operation)
        .order_by(AuditEvent.agency_code, AuditEvent.operation)
    )
    if agency_code is not None:
        query = query.where(AuditEvent.agency_code == agency_code)
    return [
        UsageRow(
            agency_code=str(row.agency_code),
            operation=str(row.operation),
            verifications=int(row.verifications),
            fields_checked=int(row.fields_checked),
        )
        for row in connection.execute(query)
    ]


def agency_codes(connection: Connection) -> list[str]:
    """Every registered agency, in code order."""
    return list(connection.execute(select(Agency.code).order_by(Agency.code)).scalars())
