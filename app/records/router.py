"""Sector-record endpoints: push one record or a batch, read a kind's version history."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from app.auth.dependencies import PrincipalDep, PurposeHeader
from app.limits import admit_request
from app.models.records import RecordKind
from app.problems import AGENCY_CODES, NOT_ALLOWED_CODES, current_request_id, problem_responses
from app.records import operations
from app.records.schemas import (
    MAX_BATCH,
    RecordBatchRequest,
    RecordBatchResponse,
    RecordHistory,
    RecordWrite,
    UnreadableRecord,
    WriteResult,
)
from app.records.service import Outcome, Push

router = APIRouter(prefix="/v1", tags=["sector records"])

PersonalIdPath = Annotated[
    str,
    Path(max_length=32, description="12-digit personal ID.", examples=["079085000103"]),
]
KindPath = Annotated[
    RecordKind,
    Path(description="The kind of record (docs/records.md).", examples=["driving_licence"]),
]
PUT_ERRORS = problem_responses(
    400,
    401,
    403,
    404,
    409,
    422,
    429,
    codes={
        **AGENCY_CODES,
        403: [*NOT_ALLOWED_CODES, "KIND_NOT_ALLOWED"],
        404: ["CITIZEN_NOT_FOUND"],
        409: ["CITIZEN_DECEASED"],
        422: [
            "INVALID_RECORD",
            "HOLDER_MISMATCH",
            "INVALID_ID_FORMAT",
            "VALIDATION_FAILED",
            "MALFORMED_JSON",
        ],
    },
)
BATCH_ERRORS = problem_responses(
    400,
    401,
    403,
    422,
    429,
    codes={
        **AGENCY_CODES,
        403: NOT_ALLOWED_CODES,
        422: ["VALIDATION_FAILED", "MALFORMED_JSON"],
    },
)
HISTORY_ERRORS = problem_responses(
    400,
    401,
    403,
    404,
    422,
    429,
    codes={
        **AGENCY_CODES,
        403: [
            "PURPOSE_NOT_ALLOWED",
            "OPERATION_NOT_ALLOWED",
            "KIND_NOT_ALLOWED",
            "CONSENT_REQUIRED",
        ],
        404: ["CITIZEN_NOT_FOUND"],
        422: ["INVALID_ID_FORMAT", "VALIDATION_FAILED"],
    },
)


def _json(content: object, status_code: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code=status_code, media_type="application/json")


@router.put(
    "/citizens/{personal_id}/records/{kind}",
    summary="Push a sector record",
    response_model=WriteResult,
    responses={201: {"model": WriteResult, "description": "A new record."}, **PUT_ERRORS},
)
async def put_record(
    request: Request,
    personal_id: PersonalIdPath,
    kind: KindPath,
    body: RecordWrite,
    principal: PrincipalDep,
    purpose: PurposeHeader = None,
) -> Response:
    """Link a record your agency issued (health insurance, licence, …) to a personal ID.

    Needs a purpose with `enrich` that lists the kind's field. The holder's name and
    birth date must agree with the registry. A new record answers 201; a changed one
    200 with its new version; the same content again 200 `unchanged` (no new version).
    Single-valued kinds are replaced; vehicles and vaccinations are keyed by `number`.
    Every push, accepted or refused, is in the audit log and the citizen's access log.
    """
    await admit_request(request, principal)
    state = request.app.state
    outcome = await operations.push(
        state.database,
        state.audit,
        principal,
        purpose,
        Push(personal_id, kind, body),
        current_request_id(request),
    )
    return _json(_write_result(outcome), 201 if outcome.result == "created" else 200)


@router.post(
    "/records:batch",
    summary=f"Push up to {MAX_BATCH:,} sector records in one call",
    response_model=RecordBatchResponse,
    responses=BATCH_ERRORS,
)
async def push_batch(
    request: Request,
    body: RecordBatchRequest,
    principal: PrincipalDep,
    purpose: PurposeHeader = None,
) -> Response:
    """Push records as `PUT …/records/{kind}` would, each accepted or refused on its own.

    Refused records carry a reason code (`CITIZEN_NOT_FOUND`, `CITIZEN_DECEASED`,
    `HOLDER_MISMATCH`, `KIND_NOT_ALLOWED`, `INVALID_RECORD`, `INVALID_ID_FORMAT`);
    accepted ones are committed even when others are refused, in one transaction
    with their audit records. The rate limit counts one request per record.
    """
    await admit_request(request, principal, len(body.records))
    state = request.app.state
    pushes = [
        Push(item.personal_id, None, item)
        if isinstance(item, UnreadableRecord)
        else Push(item.personal_id, item.kind, item)
        for item in body.records
    ]
    outcomes = await operations.push_batch(
        state.database, state.audit, principal, purpose, pushes, current_request_id(request)
    )
    results = [_item_result(index, outcome) for index, outcome in enumerate(outcomes)]
    accepted = [o for o in outcomes if o.accepted]
    summary = {"total": len(outcomes), "accepted": len(accepted)}
    summary["refused"] = len(outcomes) - len(accepted)
    for name in ("created", "updated", "unchanged"):
        summary[name] = sum(1 for o in accepted if o.result == name)
    return _json({"results": results, "summary": summary})


@router.get(
    "/citizens/{personal_id}/records/{kind}/history",
    summary="Version history of a citizen's records of one kind",
    response_model=RecordHistory,
    responses=HISTORY_ERRORS,
)
async def get_history(
    request: Request,
    personal_id: PersonalIdPath,
    kind: KindPath,
    principal: PrincipalDep,
    purpose: PurposeHeader = None,
) -> Response:
    """Every version of every record of `kind`, newest first: who changed what, and when.

    For purposes that may push the kind (`enrich`) or look it up (`lookup`), with the
    kind's field listed. Audited as a disclosure of that field.
    """
    await admit_request(request, principal)
    state = request.app.state
    answer = await operations.history(
        state.database,
        state.audit,
        principal,
        purpose,
        personal_id,
        kind,
        current_request_id(request),
    )
    return _json(answer)


def _write_result(outcome: Outcome) -> dict[str, Any]:
    return {
        "personal_id": outcome.personal_id,
        "kind": outcome.kind,
        "result": outcome.result,
        "version": outcome.version,
        "changed_fields": outcome.changed,
        "record": outcome.record,
    }


def _item_result(index: int, outcome: Outcome) -> dict[str, Any]:
    error = outcome.error
    result: dict[str, Any] = {
        "index": index,
        "personal_id": outcome.personal_id,
        "kind": outcome.kind,
        "status": "accepted" if error is None else "refused",
        "result": outcome.result,
        "version": outcome.version,
        "reason": None if error is None else error.code,
        "detail": None if error is None else error.detail,
    }
    errors = getattr(error, "errors", None)
    if errors:
        result["errors"] = errors
    return result
