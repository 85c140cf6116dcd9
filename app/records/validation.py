"""Checks of one pushed record: its kind's rules, then its holder against the registry.

Pure functions, no I/O: the service reads the citizen and calls these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from app.identity.matching import Reason, Verdict, match_birth_date, match_name
from app.models.enums import BirthDatePrecision
from app.models.records import RecordKind, RecordStatus
from app.records.errors import HolderMismatchError, InvalidRecordError
from app.records.kinds import record_key, spec
from app.records.schemas import Holder, RecordWrite

SNAPSHOT_FIELDS = ("number", "status", "valid_from", "valid_until", "data")


@dataclass(frozen=True, slots=True)
class ValidRecord:
    kind: RecordKind
    key: str
    number: str
    status: RecordStatus
    valid_from: date | None
    valid_until: date | None
    data: dict[str, Any]  # JSON-ready, as stored

    def snapshot(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "status": self.status.value,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "data": self.data,
        }


def checked_record(kind: RecordKind, write: RecordWrite) -> ValidRecord:
    """The record in its stored form, or ``InvalidRecordError`` naming every broken rule."""
    kind_spec = spec(kind)
    errors: list[dict[str, str]] = []
    number = write.number.strip().upper()
    if not kind_spec.number_pattern.fullmatch(number):
        errors.append(
            {
                "field": "number",
                "message": f"a {kind.value} number is {kind_spec.number_format}",
                "type": "number_format",
            }
        )
    if write.valid_from and write.valid_until and write.valid_until < write.valid_from:
        errors.append(
            {
                "field": "valid_until",
                "message": "valid_until is before valid_from",
                "type": "date_order",
            }
        )
    data: dict[str, Any] = {}
    try:
        data = kind_spec.data.model_validate(write.data).model_dump(mode="json", exclude_none=True)
    except ValidationError as error:
        errors.extend(
            {
                "field": ".".join(["data", *(str(part) for part in e["loc"])]),
                "message": e["msg"],
                "type": e["type"],
            }
            for e in error.errors(include_url=False)
        )
    if errors:
        listed = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        raise InvalidRecordError(f"The {kind.value} record is not valid: {listed}.", errors)
    return ValidRecord(
        kind=kind,
        key=record_key(kind, number),
        number=number,
        status=write.status,
        valid_from=write.valid_from,
        valid_until=write.valid_until,
        data=data,
    )


def check_holder(holder: Holder, citizen: Mapping[str, Any]) -> None:
    """Refuse a record whose holder's name or birth date disagrees with the registry.

    The same ladder as verification: case, accents, spacing and word order are
    forgiven; a typo is not (the record would be linked to the wrong person).
    """
    name = match_name(holder.full_name, str(citizen["full_name"]))
    born = match_birth_date(
        holder.birth_date,
        _as_date(citizen["birth_date"]),
        BirthDatePrecision(citizen["birth_date_precision"]),
    )
    if born.reason is Reason.INVALID_FORMAT:
        raise InvalidRecordError(
            "The holder's birth date is not a date: use YYYY-MM-DD, DD/MM/YYYY or a year.",
            [{"field": "holder.birth_date", "message": "not a date", "type": "date_format"}],
        )
    differing = [
        field
        for field, result in (("full_name", name), ("birth_date", born))
        if result.verdict is not Verdict.MATCH
    ]
    if differing:
        raise HolderMismatchError(
            f"The holder's {' and '.join(differing)} "
            f"{'does' if len(differing) == 1 else 'do'} not agree with the registry: "
            "the record is not linked to this personal ID.",
            # Which fields, never how they differ: a push is no way to probe the registry.
            extensions={"fields": differing},
        )


def changed_fields(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    """Which parts of the snapshot differ: top-level names, and ``data.<key>`` inside data."""
    if before is None:
        return list(SNAPSHOT_FIELDS)
    changed = [f for f in SNAPSHOT_FIELDS if f != "data" and before.get(f) != after.get(f)]
    old, new = before.get("data") or {}, after.get("data") or {}
    changed += [f"data.{key}" for key in sorted({*old, *new}) if old.get(key) != new.get(key)]
    return changed


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
