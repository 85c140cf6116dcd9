"""Sector records as the citizen document's sector fields: read in batches, rendered per field.

A single-valued kind renders as its record or null, a multi-valued kind as a
list. ``prefetch`` reads every requested kind for many citizens in one query per
thousand citizens, so rendering a page of documents costs no query per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from app.db import RawSession
from app.models.enums import CitizenField
from app.models.records import RecordKind
from app.records import repository
from app.records.kinds import KIND_OF_FIELD, SECTOR_FIELDS, SPECS, kinds_for

# Citizen id → record kind → that citizen's current records of the kind.
Records = Mapping[int, Mapping[str, Sequence[Mapping[str, Any]]]]
_KIND_VALUE = {field: kind.value for field, kind in KIND_OF_FIELD.items()}
_MULTI = {field: SPECS[kind].multi for field, kind in KIND_OF_FIELD.items()}


def sector_fields(fields: Sequence[CitizenField]) -> list[CitizenField]:
    return [field for field in fields if field in SECTOR_FIELDS]


def prefetch(
    session: RawSession, citizen_ids: Sequence[int], fields: Sequence[CitizenField]
) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """The current records of the kinds ``fields`` ask for, by citizen id and kind."""
    kinds = [kind.value for kind in kinds_for(tuple(fields))]
    by_citizen: dict[int, dict[str, list[dict[str, Any]]]] = {int(i): {} for i in citizen_ids}
    if not kinds:
        return by_citizen
    for row in repository.records_of(session, citizen_ids, kinds):
        kinds_of = by_citizen.setdefault(int(row["citizen_id"]), {})
        kinds_of.setdefault(row["kind"], []).append(row)
    return by_citizen


def render_field(field: CitizenField, records: Mapping[str, Sequence[Mapping[str, Any]]]) -> Any:
    """The value of one sector field: the kind's record (or None), or its list of records."""
    rendered = [record_view(row) for row in records.get(_KIND_VALUE[field], ())]
    if _MULTI[field]:
        return rendered
    return rendered[0] if rendered else None


def record_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "kind": str(row["kind"]),
        "number": row["number"],
        "status": str(row["status"]),
        "valid_from": date_text(row["valid_from"]),
        "valid_until": date_text(row["valid_until"]),
        "data": repository.json_value(row["data"]),
        "source_agency": row["agency_code"],
        "source_agency_name": row.get("agency_name"),
        "version": int(row["version"]),
        "updated_at": timestamp_text(row["updated_at"]),
    }


def title(kind: RecordKind) -> str:
    return SPECS[kind].title


def date_text(value: Any) -> str | None:
    """Dates arrive as ``date`` (PostgreSQL) or ISO text (SQLite)."""
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def moment(value: Any) -> datetime:
    """A stored timestamp as an aware UTC datetime; SQLite hands back naive UTC text."""
    stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def timestamp_text(value: Any) -> str:
    """A stored timestamp as ISO 8601 UTC text, to the second."""
    if isinstance(value, str) and len(value) >= 19 and value[10] == " ":
        return f"{value[:10]}T{value[11:19]}Z"  # SQLite's naive UTC text, on the hot path
    return moment(value).strftime("%Y-%m-%dT%H:%M:%SZ")
