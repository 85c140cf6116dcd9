"""Reading the audit log: an agency sees its own records, the admin sees all."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from app.audit import repository
from app.audit.schemas import AuditEventPage, AuditEventRead
from app.auth.dependencies import ApiKeyHeader, BearerHeader, resolve_principal
from app.config import Settings
from app.db import Database
from app.problems import UNAUTHENTICATED_CODES, ProblemError, problem_responses

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class InvalidTimestampError(ProblemError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "INVALID_TIMESTAMP"
    title = "Invalid timestamp"


def _bound(name: str, value: str | None) -> str | None:
    """An ISO 8601 date or time as the log writes times (UTC), so text compares as time."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidTimestampError(
            f"{name} must be an ISO 8601 date or time, e.g. 2026-11-01 or 2026-11-01T08:00:00Z."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@router.get(
    "/events",
    summary="Audit records",
    responses=problem_responses(
        401,
        422,
        codes={
            401: UNAUTHENTICATED_CODES,
            422: ["INVALID_TIMESTAMP", "VALIDATION_FAILED"],
        },
    ),
)
async def list_events(
    request: Request,
    api_key: ApiKeyHeader,
    bearer: BearerHeader,
    after: Annotated[int, Query(ge=0, le=2**62, description="Cursor: the last `seq` seen.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    agency: Annotated[str | None, Query(max_length=40, description="Admin only.")] = None,
    personal_id: Annotated[str | None, Query(max_length=12)] = None,
    operation: Annotated[str | None, Query(max_length=24)] = None,
    outcome: Annotated[str | None, Query(max_length=24)] = None,
    purpose: Annotated[str | None, Query(max_length=40)] = None,
    request_id: Annotated[
        str | None, Query(max_length=128, description="The `X-Request-ID` of one request.")
    ] = None,
    since: Annotated[str | None, Query(max_length=32, description="ISO 8601 UTC.")] = None,
    until: Annotated[str | None, Query(max_length=32, description="ISO 8601 UTC.")] = None,
) -> AuditEventPage:
    """Audit records in chain order, oldest first, with cursor pagination.

    With an agency's credentials: that agency's records only. With the admin
    token: every record, optionally filtered by `agency`.
    """
    since, until = _bound("since", since), _bound("until", until)
    settings: Settings = request.app.state.settings
    admin = bearer is not None and secrets.compare_digest(
        bearer.credentials.encode(), settings.admin_token.get_secret_value().encode()
    )
    if not admin:
        authorization = f"Bearer {bearer.credentials}" if bearer is not None else None
        principal = await resolve_principal(request, api_key, authorization)
        agency = principal.agency_code
    database: Database = request.app.state.database

    def page() -> list[dict[str, object]]:
        with database.engine.connect() as connection:
            return repository.events(
                connection,
                after=after,
                limit=limit,
                agency_code=agency,
                personal_id=personal_id,
                operation=operation,
                outcome=outcome,
                purpose=purpose,
                since=since,
                until=until,
                request_id=request_id,
            )

    rows = await run_in_threadpool(page)
    events = [AuditEventRead.model_validate(row) for row in rows]
    next_cursor = str(events[-1].seq) if len(events) == limit else None
    return AuditEventPage(events=events, next_cursor=next_cursor)
