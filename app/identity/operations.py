"""Identity operations as an agency performs them: authorise, act, audit, then answer.

Every outcome (disclosure, refusal, not found) is committed to the audit log
before the caller sees it; the fast path and the FastAPI routes both come here.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.audit.entries import disclosure, refusal
from app.audit.writer import AuditWriter
from app.auth.principal import Principal
from app.auth.service import authorize
from app.db import Database
from app.identity.consent import consent_refusal, without_consent
from app.identity.documents import Document
from app.identity.personal_id import is_valid_personal_id
from app.identity.service import lookup_by_legacy_id, lookup_citizen
from app.identity.verification import Check, Outcome, claimed_fields, verify_many
from app.identity.verification_schemas import Claims
from app.models.enums import Operation
from app.problems import ProblemError


async def lookup(
    database: Database,
    audit: AuditWriter,
    principal: Principal,
    purpose: str | None,
    personal_id: str,
    request_id: str | None,
) -> Document:
    try:
        policy = authorize(principal, purpose, Operation.LOOKUP)
        if policy.consent_required:
            refused = await database.run(
                without_consent, database, principal, policy, [personal_id]
            )
            if refused:
                raise consent_refusal(policy)
        document = await database.run(lookup_citizen, database, personal_id, policy)
    except ProblemError as error:
        subject = personal_id if is_valid_personal_id(personal_id) else None
        await audit.record(
            refusal(principal, purpose, "lookup", request_id, error, personal_id=subject)
        )
        raise
    fields = [field.value for field in policy.fields]
    await audit.record(
        disclosure(
            principal,
            policy.code,
            "lookup",
            request_id,
            personal_id=personal_id.strip(),
            fields=fields,
        )
    )
    return document


async def lookup_legacy(
    database: Database,
    audit: AuditWriter,
    principal: Principal,
    purpose: str | None,
    legacy_id: str,
    request_id: str | None,
) -> list[Document]:
    detail = {"legacy_id": legacy_id[:32]}
    try:
        policy = authorize(principal, purpose, Operation.LOOKUP)
        found = await database.run(lookup_by_legacy_id, database, legacy_id, policy)
    except ProblemError as error:
        await audit.record(
            refusal(principal, purpose, "lookup_legacy_id", request_id, error, detail=detail)
        )
        raise
    fields = [field.value for field in policy.fields]
    await audit.record(
        *(
            disclosure(
                principal,
                policy.code,
                "lookup_legacy_id",
                request_id,
                personal_id=personal_id,
                fields=fields,
                detail=detail,
            )
            for personal_id, _ in found
        )
    )
    return [document for _, document in found]


async def verify(
    database: Database,
    audit: AuditWriter,
    principal: Principal,
    purpose: str | None,
    records: Sequence[tuple[str, Claims]],
    request_id: str | None,
    operation: Operation,
) -> list[Outcome]:
    try:
        policy = authorize(principal, purpose, operation)
        checks = [Check(pid, claimed_fields(claims, policy)) for pid, claims in records]
    except ProblemError as error:
        await audit.record(refusal(principal, purpose, operation.value, request_id, error))
        raise
    outcomes = await database.run(verify_many, database, checks, policy)
    refused = await database.run(
        without_consent, database, principal, policy, [o.subject for o in outcomes if o.subject]
    )
    if refused:
        outcomes = [
            Outcome("refused", "consent_required", {}, o.subject) if o.subject in refused else o
            for o in outcomes
        ]
    no_consent = consent_refusal(policy)
    await audit.record(
        *(
            refusal(
                principal,
                policy.code,
                operation.value,
                request_id,
                no_consent,
                personal_id=outcome.subject,
            )
            if outcome.decision == "refused"
            else disclosure(
                principal,
                policy.code,
                operation.value,
                request_id,
                personal_id=outcome.subject,
                fields=list(outcome.fields),
                outcome="verified" if outcome.subject else outcome.decision,
                detail={"decision": outcome.decision},
            )
            for outcome in outcomes
        )
    )
    return outcomes
