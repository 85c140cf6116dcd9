"""Sector-record operations as an agency performs them: authorise, act, audit, answer.

A refusal before any record is looked at (no purpose, no ``enrich``) is audited
like any refused request; everything after is audited inside the write
transaction (``service.enrich``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool

from app.audit.entries import disclosure, refusal
from app.audit.writer import AuditWriter
from app.auth.errors import OperationNotAllowedError
from app.auth.principal import Principal, PurposePolicy
from app.auth.service import authorize
from app.db import Database
from app.identity.consent import consent_refusal, without_consent
from app.identity.personal_id import is_valid_personal_id, parse_personal_id
from app.models.enums import Operation
from app.models.records import RecordKind
from app.problems import ProblemError
from app.records import repository, service
from app.records.errors import CitizenNotFoundError, KindNotAllowedError
from app.records.kinds import spec
from app.records.render import moment, timestamp_text
from app.records.service import Outcome, Push, first_version

HISTORY_OPERATION = "record_history"


async def _authorised(
    audit: AuditWriter,
    principal: Principal,
    purpose: str | None,
    operation: str,
    personal_id: str | None,
    request_id: str | None,
    *,
    readers: bool = False,
) -> PurposePolicy:
    """The enrich policy (or, with ``readers``, a lookup policy too); refusals audited."""
    try:
        try:
            return authorize(principal, purpose, Operation.ENRICH)
        except OperationNotAllowedError:
            if not readers:
                raise
            return authorize(principal, purpose, Operation.LOOKUP)
    except ProblemError as error:
        subject = personal_id if personal_id and is_valid_personal_id(personal_id) else None
        await audit.record(
            refusal(principal, purpose, operation, request_id, error, personal_id=subject)
        )
        raise


async def push(
    database: Database,
    audit: AuditWriter,
    principal: Principal,
    purpose: str | None,
    record: Push,
    request_id: str | None,
) -> Outcome:
    """One record (``PUT /v1/citizens/{id}/records/{kind}``); a refusal raises its problem."""
    policy = await _authorised(
        audit, principal, purpose, service.OPERATION, record.personal_id, request_id
    )
    [outcome] = await run_in_threadpool(
        service.enrich, database, principal, policy, [record], request_id
    )
    if outcome.error is not None:
        raise outcome.error
    return outcome


async def push_batch(
    database: Database,
    audit: AuditWriter,
    principal: Principal,
    purpose: str | None,
    records: Sequence[Push],
    request_id: str | None,
) -> list[Outcome]:
    """Many records: an outcome each, accepted ones written even when others are refused."""
    policy = await _authorised(audit, principal, purpose, service.OPERATION, None, request_id)
    return await run_in_threadpool(service.enrich, database, principal, policy, records, request_id)


async def history(
    database: Database,
    audit: AuditWriter,
    principal: Principal,
    purpose: str | None,
    personal_id: str,
    kind: RecordKind,
    request_id: str | None,
) -> dict[str, Any]:
    """Every version of the citizen's records of ``kind``: who changed what, when.

    For purposes that may push the kind, or look it up (the kind's field listed).
    """
    policy = await _authorised(
        audit, principal, purpose, HISTORY_OPERATION, personal_id, request_id, readers=True
    )
    field = spec(kind).field
    try:
        if field not in policy.fields:
            raise KindNotAllowedError(
                f"Purpose {policy.code!r} may not see {kind.value} records "
                f"(it would need the field {field.value!r})."
            )
        number = parse_personal_id(personal_id).number
        if policy.consent_required:
            refused = await database.run(without_consent, database, principal, policy, [number])
            if refused:
                raise consent_refusal(policy)
        versions = await database.run(_versions, database, number, kind)
    except ProblemError as error:
        subject = personal_id if is_valid_personal_id(personal_id) else None
        await audit.record(
            refusal(
                principal,
                policy.code,
                HISTORY_OPERATION,
                request_id,
                error,
                personal_id=subject,
                detail={"kind": kind.value},
            )
        )
        raise
    await audit.record(
        disclosure(
            principal,
            policy.code,
            HISTORY_OPERATION,
            request_id,
            personal_id=number,
            fields=[field.value],
            detail={"kind": kind.value, "versions": len(versions)},
        )
    )
    return {"personal_id": number, "kind": kind.value, "versions": versions}


def _versions(database: Database, personal_id: str, kind: RecordKind) -> list[dict[str, Any]]:
    with database.reader.session() as session:
        citizen_id = repository.citizen_id_of(session, personal_id)
        if citizen_id is None:
            raise CitizenNotFoundError("No citizen in the registry has this personal ID.")
        records = repository.records_of_kind(session, citizen_id, kind.value)
        rows = repository.versions_of(session, [int(r["id"]) for r in records])
    written = {(int(row["record_id"]), int(row["version"])) for row in rows}
    # A seeded record's state is its version 1 until it first changes (seed/records.py).
    rows += [
        {**first_version(record, None), "agency_name": record["agency_name"]}
        for record in records
        if (int(record["id"]), int(record["version"])) not in written
    ]
    rows.sort(key=lambda row: (moment(row["changed_at"]), int(row["version"])), reverse=True)
    return [
        {
            "number": row["snapshot"]["number"],
            "version": int(row["version"]),
            "changed_at": timestamp_text(row["changed_at"]),
            "agency": row["agency_code"],
            "agency_name": row["agency_name"],
            "request_id": row["request_id"],
            "changed_fields": row["changed_fields"],
            "snapshot": row["snapshot"],
        }
        for row in rows
    ]
