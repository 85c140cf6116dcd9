"""Recording civil-registry operations: authorise, change, number, queue, audit, answer.

One transaction holds the citizens' changes, their life events, the webhook
deliveries they owe and their audit records: a crash loses all or none. A
retry with the same ``Idempotency-Key`` gets the first answer back instead of
recording the change twice.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from app.audit.entries import disclosure, refusal
from app.audit.repository import append_within
from app.audit.writer import AuditWriter
from app.auth.principal import Principal, PurposePolicy
from app.auth.service import authorize
from app.db import Database
from app.events import repository
from app.events.errors import IdempotencyKeyReusedError, RegisterNotAllowedError
from app.events.fanout import enqueue_deliveries
from app.events.types import event_document
from app.identity.personal_id import is_valid_personal_id
from app.models.base import utcnow
from app.models.enums import Operation, Sector
from app.problems import ProblemError

Build = Callable[[Connection, Any, date], list[dict[str, Any]]]
# The admin token acts as the registry's own operator.
ADMIN = Principal(
    agency_id=0,
    agency_code="popreg-admin",
    sector=Sector.CIVIL_REGISTRY,
    credential="admin_token",
)
ADMIN_PURPOSE = "registry_administration"


@dataclass(frozen=True, slots=True)
class Command:
    operation: str  # audit name, e.g. "civil_birth" (24 characters at most)
    body: BaseModel
    build: Build


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


def registrar_purpose(principal: Principal, purpose: str | None) -> PurposePolicy | None:
    """The policy the change is recorded under (None: the admin token, which sees all).

    Only civil-registry agencies whose purpose allows ``register`` record changes.
    """
    if principal is ADMIN:
        return None
    policy = authorize(principal, purpose, Operation.REGISTER)
    if principal.sector is not Sector.CIVIL_REGISTRY:
        raise RegisterNotAllowedError(
            "Only civil-registry agencies record life events; "
            f"{principal.agency_code!r} is a {principal.sector.value} agency."
        )
    return policy


async def record(
    database: Database,
    audit: AuditWriter,
    principal: Principal,
    purpose: str | None,
    command: Command,
    request_id: str | None,
    idempotency: tuple[str, str] | None,
) -> Answer:
    """Record ``command``; ``idempotency`` is (key, request fingerprint) when a key was sent."""
    try:
        policy = registrar_purpose(principal, purpose)
        return await run_in_threadpool(
            _record, database, principal, policy, command, request_id, idempotency
        )
    except ProblemError as error:
        subject = _subject(command.body)
        await audit.record(
            refusal(principal, purpose, command.operation, request_id, error, personal_id=subject)
        )
        raise


def _record(
    database: Database,
    principal: Principal,
    policy: PurposePolicy | None,
    command: Command,
    request_id: str | None,
    idempotency: tuple[str, str] | None,
) -> Answer:
    agency = principal.agency_code
    purpose = ADMIN_PURPOSE if policy is None else policy.code
    with repository.write_transaction(database.engine) as connection:
        if idempotency is not None:
            answered = repository.answered_request(connection, agency, idempotency[0])
            if answered is not None:
                if answered["fingerprint"] != idempotency[1]:
                    raise IdempotencyKeyReusedError(
                        f"Idempotency-Key {idempotency[0]!r} was used for another request."
                    )
                return Answer(int(answered["status_code"]), answered["response"], replayed=True)
        today = datetime.now(UTC).date()
        events = command.build(connection, command.body, today)
        operation_id = "op_" + secrets.token_hex(10)
        now = utcnow()
        rows = repository.append_events(
            connection,
            [
                {
                    **e,
                    "agency_code": agency,
                    "request_id": request_id,
                    "operation_id": operation_id,
                    "recorded_at": now,
                }
                for e in events
            ],
        )
        enqueue_deliveries(connection, rows)
        append_within(
            connection,
            [
                disclosure(
                    principal,
                    purpose,
                    command.operation,
                    request_id,
                    personal_id=row["personal_id"],
                    fields=sorted({*row["changes"], *row["previous"]}),
                    outcome="recorded",
                    detail={"event": row["seq"], "operation_id": operation_id},
                )
                for row in rows
            ],
        )
        # The registry answers with what the registrar's purpose may read of the change.
        body = {"operation_id": operation_id, "events": [event_document(r, policy) for r in rows]}
        if idempotency is not None:
            repository.remember_request(
                connection, agency, idempotency[0], idempotency[1], 201, body
            )
    return Answer(201, body)


def _subject(body: BaseModel) -> str | None:
    for name in ("personal_id", "mother_personal_id"):
        value = getattr(body, name, None)
        if isinstance(value, str) and is_valid_personal_id(value):
            return value
    spouses = getattr(body, "spouses", None)
    if spouses and is_valid_personal_id(spouses[0]):
        return str(spouses[0])
    return None
