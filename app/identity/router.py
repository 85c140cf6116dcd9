"""Identity endpoints: lookup by personal ID or old CMND, per-field verification."""
# Responses are built as JSON directly: no model validation of outgoing rows.

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from app.audit.writer import AuditWriter
from app.auth.dependencies import PrincipalDep, PurposeHeader
from app.auth.errors import ConsentRequiredError
from app.auth.principal import Principal
from app.db import Database
from app.identity import operations
from app.identity.errors import CitizenNotFoundError
from app.identity.personal_id import parse_personal_id
from app.identity.schemas import CitizenDocument, LegacyIdMatches
from app.identity.verification import Outcome
from app.identity.verification_schemas import (
    BatchVerifyRequest,
    BatchVerifyResponse,
    VerifyRequest,
    VerifyResult,
)
from app.limits import admit_request
from app.models.enums import Operation
from app.problems import AGENCY_CODES, NOT_ALLOWED_CODES, current_request_id, problem_responses

router = APIRouter(prefix="/v1", tags=["identity"])

IDENTITY_CODES = {
    **AGENCY_CODES,
    403: [*NOT_ALLOWED_CODES, "CONSENT_REQUIRED"],
    404: ["CITIZEN_NOT_FOUND"],
}

PersonalIdPath = Annotated[
    str,
    Path(
        max_length=32,
        description="12-digit personal ID: province (3) · century/sex (1) · year (2) · serial (6).",
        examples=["001084000999"],
    ),
]
LegacyIdPath = Annotated[
    str, Path(max_length=32, description="Old 9-digit ID card number.", examples=["271450123"])
]
LOOKUP_ERRORS = problem_responses(
    400, 401, 403, 404, 422, 429, codes={**IDENTITY_CODES, 422: ["INVALID_ID_FORMAT"]}
)
LEGACY_ERRORS = problem_responses(
    400, 401, 403, 404, 422, 429, codes={**IDENTITY_CODES, 422: ["INVALID_LEGACY_ID"]}
)
VERIFY_ERRORS = problem_responses(
    400,
    401,
    403,
    404,
    422,
    429,
    codes={
        **IDENTITY_CODES,
        403: [*NOT_ALLOWED_CODES, "FIELD_NOT_ALLOWED"],
        422: ["INVALID_ID_FORMAT", "VALIDATION_FAILED", "MALFORMED_JSON"],
    },
)
BATCH_ERRORS = problem_responses(
    400,
    401,
    403,
    422,
    429,
    codes={
        **IDENTITY_CODES,
        403: [*NOT_ALLOWED_CODES, "FIELD_NOT_ALLOWED"],
        422: ["VALIDATION_FAILED", "MALFORMED_JSON"],
    },
)


def _json(content: object) -> Response:
    return Response(orjson.dumps(content), media_type="application/json")


async def _admitted(
    request: Request, principal: Principal, cost: int = 1
) -> tuple[Database, AuditWriter, str | None]:
    """Admit the call under the agency's rate limit (or 429), then what an operation needs."""
    await admit_request(request, principal, cost)
    state = request.app.state
    return state.database, state.audit, current_request_id(request)


@router.get(
    "/citizens/{personal_id}",
    summary="Look up a citizen",
    response_model=CitizenDocument,
    response_model_exclude_unset=True,
    responses=LOOKUP_ERRORS,
)
async def get_citizen(
    request: Request,
    personal_id: PersonalIdPath,
    principal: PrincipalDep,
    purpose: PurposeHeader = None,
) -> Response:
    """The citizen's fields allowed for the purpose named in `X-Purpose`, nothing more.

    Audited: the response leaves only after its audit record is committed.
    """
    database, audit, request_id = await _admitted(request, principal)
    document = await operations.lookup(database, audit, principal, purpose, personal_id, request_id)
    return _json(document)


@router.get(
    "/citizens/by-legacy-id/{legacy_id}",
    summary="Find citizens by old 9-digit ID (CMND)",
    response_model=LegacyIdMatches,
    responses=LEGACY_ERRORS,
)
async def get_by_legacy_id(
    request: Request,
    legacy_id: LegacyIdPath,
    principal: PrincipalDep,
    purpose: PurposeHeader = None,
) -> Response:
    """Every citizen who held this CMND number; several answers are flagged `ambiguous`."""
    database, audit, request_id = await _admitted(request, principal)
    documents = await operations.lookup_legacy(
        database, audit, principal, purpose, legacy_id, request_id
    )
    return _json({"legacy_id": legacy_id, "ambiguous": len(documents) > 1, "citizens": documents})


@router.post(
    "/identity/verify",
    summary="Verify claimed identity data, field by field",
    response_model=VerifyResult,
    responses=VERIFY_ERRORS,
)
async def verify(
    request: Request, body: VerifyRequest, principal: PrincipalDep, purpose: PurposeHeader = None
) -> Response:
    """Answer `match` / `mismatch` / `missing` per claimed field, with a score and a reason.

    The registry's own value is included only for fields the purpose may also read.
    A mistyped ID (one digit off), or an old 9-digit CMND, is resolved to the person
    whose record agrees with the claims and reported as the `personal_id` field's reason.
    """
    database, audit, request_id = await _admitted(request, principal)
    [outcome] = await operations.verify(
        database,
        audit,
        principal,
        body.purpose or purpose,
        [(body.personal_id, body.claims)],
        request_id,
        Operation.VERIFY,
    )
    if outcome.decision == "invalid":
        parse_personal_id(body.personal_id)  # raises the 422 that explains the structure
    if outcome.decision == "refused":
        raise ConsentRequiredError(
            "This purpose needs the citizen's live consent, and none is recorded."
        )
    if outcome.decision == "not_found":
        raise CitizenNotFoundError(
            "No citizen in the registry has this personal ID or old ID number."
            if outcome.reason == "not_found"
            else "Several citizens held this old ID number and the claims do not tell them apart.",
            extensions={"reason": outcome.reason},
        )
    return _json(_result(body.personal_id, outcome))


@router.post(
    "/identity/verify/batch",
    summary="Verify up to 1,000 records in one call",
    response_model=BatchVerifyResponse,
    responses=BATCH_ERRORS,
)
async def verify_batch(
    request: Request,
    body: BatchVerifyRequest,
    principal: PrincipalDep,
    purpose: PurposeHeader = None,
) -> Response:
    """Verify each record as `POST /v1/identity/verify` would; one result per record, in order.

    A record whose ID is malformed or unknown gets `decision` `invalid` or `not_found`
    instead of failing the batch.
    """
    database, audit, request_id = await _admitted(request, principal, len(body.records))
    outcomes = await operations.verify(
        database,
        audit,
        principal,
        body.purpose or purpose,
        [(r.personal_id, r.claims) for r in body.records],
        request_id,
        Operation.BATCH_VERIFY,
    )
    results = []
    counts = dict.fromkeys(("match", "mismatch", "not_found", "invalid", "refused"), 0)
    for index, (record, outcome) in enumerate(zip(body.records, outcomes, strict=True)):
        counts[outcome.decision] += 1
        results.append({"index": index, "ref": record.ref, **_result(record.personal_id, outcome)})
    summary = {
        "total": len(results),
        **counts,
        "fields_checked": sum(o.fields_checked for o in outcomes),
    }
    return _json({"results": results, "summary": summary})


def _result(personal_id: str, outcome: Outcome) -> dict[str, object]:
    return {
        "personal_id": personal_id,
        "decision": outcome.decision,
        "reason": outcome.reason,
        "fields": outcome.fields,
        "fields_checked": outcome.fields_checked,
    }
