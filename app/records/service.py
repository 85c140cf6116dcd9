"""Writing sector records: check each one, version what changed, audit, all in one transaction.

A batch is one transaction: the accepted records, their versions and an audit
record per item (accepted or refused) commit together, and a refused record
never stops the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from app.audit.entries import disclosure, refusal
from app.audit.records import AuditEntry
from app.audit.repository import append_within
from app.auth.principal import Principal, PurposePolicy
from app.db import Database, immediate_transaction
from app.identity.personal_id import is_valid_personal_id, parse_personal_id
from app.models.base import utcnow
from app.models.records import RecordKind
from app.problems import ProblemError
from app.records import repository
from app.records.errors import (
    CitizenDeceasedError,
    CitizenNotFoundError,
    InvalidRecordError,
    KindNotAllowedError,
)
from app.records.kinds import spec
from app.records.render import record_view
from app.records.schemas import RecordWrite, UnreadableRecord
from app.records.validation import (
    SNAPSHOT_FIELDS,
    ValidRecord,
    changed_fields,
    check_holder,
    checked_record,
)

OPERATION = "enrich"
KIND_VALUES = frozenset(kind.value for kind in RecordKind)


@dataclass(frozen=True, slots=True)
class Push:
    """One record as it came in: a write for a kind, or an unreadable batch item."""

    personal_id: str | None
    kind: RecordKind | None
    write: RecordWrite | UnreadableRecord


@dataclass(slots=True)
class Outcome:
    personal_id: str | None
    kind: str | None
    error: ProblemError | None = None
    result: str | None = None  # created, updated, unchanged
    version: int | None = None
    changed: list[str] = field(default_factory=list)
    record: dict[str, Any] | None = None

    @property
    def accepted(self) -> bool:
        return self.error is None


@dataclass(slots=True)
class _Pending:
    outcome: Outcome
    record: ValidRecord
    write: RecordWrite


def enrich(
    database: Database,
    principal: Principal,
    policy: PurposePolicy,
    pushes: Sequence[Push],
    request_id: str | None,
) -> list[Outcome]:
    """An outcome per push, in order; accepted records are written and everything audited."""
    outcomes: list[Outcome] = []
    pending: list[_Pending] = []
    for push in pushes:
        kind = push.write.kind if isinstance(push.write, UnreadableRecord) else None
        outcome = Outcome(push.personal_id, push.kind.value if push.kind else kind)
        outcomes.append(outcome)
        try:
            pending.append(_precheck(policy, push, outcome))
        except ProblemError as error:
            outcome.error = error
    with immediate_transaction(database.engine) as connection:
        _write(connection, principal, pending, request_id)
        append_within(connection, [_audit(principal, policy, o, request_id) for o in outcomes])
    return outcomes


def _precheck(policy: PurposePolicy, push: Push, outcome: Outcome) -> _Pending:
    """What can be checked without the registry: the item, the kind, the ID, the record."""
    if isinstance(push.write, UnreadableRecord):
        listed = "; ".join(f"{e['field']}: {e['message']}" for e in push.write.errors[:5])
        raise InvalidRecordError(f"The record is not valid: {listed}.", push.write.errors)
    assert push.kind is not None
    assert push.personal_id is not None
    kind_field = spec(push.kind).field
    if kind_field not in policy.fields:
        raise KindNotAllowedError(
            f"Purpose {policy.code!r} may not push {push.kind.value} records "
            f"(it would need the field {kind_field.value!r})."
        )
    outcome.personal_id = parse_personal_id(push.personal_id).number
    return _Pending(outcome, checked_record(push.kind, push.write), push.write)


def _write(
    connection: Connection,
    principal: Principal,
    pending: list[_Pending],
    request_id: str | None,
) -> None:
    holders = _holders(connection, pending)
    current = repository.current_records(
        connection, [cid for _, cid in holders], [item.record.kind.value for item, _ in holders]
    )
    agency = principal.agency_code
    names = repository.agency_names(
        connection, [agency, *(row["agency_code"] for row in current.values())]
    )
    # Seeded records have no version row for their version 1 (seed/records.py): it is
    # written from the record just before the record changes for the first time.
    writes = _Writes(
        connection,
        current,
        repository.versions_written(connection, [int(r["id"]) for r in current.values()]),
    )
    now = utcnow()
    for item, citizen_id in holders:
        record, outcome = item.record, item.outcome
        key = (citizen_id, record.kind.value, record.key)
        if key in writes.touched:  # the same record twice in one batch: write the first
            writes.flush()
        existing = current.get(key)
        snapshot = record.snapshot()
        before = None if existing is None else stored_snapshot(existing)
        if before == snapshot:
            assert existing is not None
            outcome.result, outcome.version = "unchanged", int(existing["version"])
        else:
            outcome.changed = changed_fields(before, snapshot)
            number = 1 if existing is None else int(existing["version"]) + 1
            values: dict[str, Any] = {
                "number": record.number,
                "status": record.status,
                "valid_from": record.valid_from,
                "valid_until": record.valid_until,
                "data": record.data,
                "agency_code": agency,
                "updated_at": now,
                "version": number,
            }
            version = {
                "version": number,
                "snapshot": snapshot,
                "changed_fields": outcome.changed,
                "agency_code": agency,
                "request_id": request_id,
                "changed_at": now,
            }
            if existing is None:
                outcome.result = "created"
                existing = writes.insert(
                    key,
                    {**values, "citizen_id": citizen_id, "kind": record.kind, "key": record.key},
                    version,
                    now,
                )
            else:
                outcome.result = "updated"
                existing = writes.update(key, existing, before, values, version)
            outcome.version = number
        outcome.record = record_view(
            {
                **existing,
                "kind": record.kind.value,
                "agency_name": names.get(existing["agency_code"]),
            }
        )
    writes.flush()


def _holders(connection: Connection, pending: list[_Pending]) -> list[tuple[_Pending, int]]:
    """The pushes whose citizen exists, is alive and is the holder, with the citizen's id."""
    citizens = repository.citizens_for_update(
        connection, [p.outcome.personal_id or "" for p in pending]
    )
    holders: list[tuple[_Pending, int]] = []
    for item in pending:
        citizen = citizens.get(item.outcome.personal_id or "")
        try:
            if citizen is None:
                raise CitizenNotFoundError("No citizen in the registry has this personal ID.")
            if citizen["death_date"] is not None:
                raise CitizenDeceasedError(
                    "The citizen is recorded as dead: no new sector records are linked."
                )
            check_holder(item.write.holder, citizen)
        except ProblemError as error:
            item.outcome.error = error
            continue
        holders.append((item, int(citizen["id"])))
    return holders


Key = tuple[int, str, str]  # citizen id, kind, key


class _Writes:
    """A batch's inserts, updates and version rows, written a statement per kind of write."""

    def __init__(
        self,
        connection: Connection,
        current: dict[Key, dict[str, Any]],
        written: set[tuple[int, int]],
    ) -> None:
        self.connection = connection
        self.current = current
        self.written = written
        self.inserts: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self.updates: list[dict[str, Any]] = []
        self.versions: list[dict[str, Any]] = []
        self.touched: set[Key] = set()

    def insert(
        self, key: Key, values: dict[str, Any], version: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        row = {**values, "created_at": now}
        self.inserts.append((row, version))
        self.touched.add(key)
        self.current[key] = row
        return row

    def update(
        self,
        key: Key,
        existing: dict[str, Any],
        before: dict[str, Any] | None,
        values: dict[str, Any],
        version: dict[str, Any],
    ) -> dict[str, Any]:
        record_id = int(existing["id"])
        if (record_id, int(existing["version"])) not in self.written:
            self.versions.append(first_version(existing, before))
        self.updates.append({"record_id": record_id, **values})
        self.versions.append({**version, "record_id": record_id})
        self.written.add((record_id, int(values["version"])))
        self.touched.add(key)
        row = {**existing, **values}
        self.current[key] = row
        return row

    def flush(self) -> None:
        if self.inserts:
            ids = repository.insert_records(self.connection, [row for row, _ in self.inserts])
            for (row, version), record_id in zip(self.inserts, ids, strict=True):
                row["id"] = record_id
                self.versions.append({**version, "record_id": record_id})
                self.written.add((record_id, int(row["version"])))
        repository.update_records(self.connection, self.updates)
        repository.insert_versions(self.connection, self.versions)
        self.inserts, self.updates, self.versions = [], [], []
        self.touched.clear()


def first_version(row: Mapping[str, Any], snapshot: Mapping[str, Any] | None) -> dict[str, Any]:
    """The version row of a record's state that has none yet (a seeded record's version)."""
    return {
        "record_id": int(row["id"]),
        "version": int(row["version"]),
        "snapshot": dict(snapshot or stored_snapshot(row)),
        "changed_fields": list(SNAPSHOT_FIELDS) if int(row["version"]) == 1 else [],
        "agency_code": row["agency_code"],
        "request_id": None,
        "changed_at": row["updated_at"],
    }


def stored_snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    """A current record's content in the form ``ValidRecord.snapshot`` gives."""
    return {
        "number": row["number"],
        "status": str(row["status"]),
        "valid_from": _iso(row["valid_from"]),
        "valid_until": _iso(row["valid_until"]),
        "data": repository.json_value(row["data"]),
    }


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def _audit(
    principal: Principal, policy: PurposePolicy, outcome: Outcome, request_id: str | None
) -> AuditEntry:
    subject = outcome.personal_id if is_valid_personal_id(outcome.personal_id or "") else None
    kind = outcome.kind if outcome.kind in KIND_VALUES else None
    fields = [spec(RecordKind(kind)).field.value] if kind else []
    if outcome.error is not None:
        return refusal(
            principal,
            policy.code,
            OPERATION,
            request_id,
            outcome.error,
            personal_id=subject,
            detail={"kind": kind} if kind else None,
        )
    return disclosure(
        principal,
        policy.code,
        OPERATION,
        request_id,
        personal_id=subject,
        fields=fields,
        outcome="unchanged" if outcome.result == "unchanged" else "recorded",
        detail={"kind": kind, "result": outcome.result, "version": outcome.version},
    )
