"""Citizen endpoints: sign in, own record, access log (data tracker), consents."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status
from starlette.concurrency import run_in_threadpool

from app.audit.records import AuditEntry
from app.audit.writer import AuditWriter
from app.auth.principal import PurposePolicy
from app.auth.throttle import CredentialThrottle
from app.auth.tokens import CITIZEN_AUDIENCE, TokenService
from app.citizen import service, wallet
from app.citizen.dependencies import CitizenDep
from app.citizen.errors import CitizenLoginDisabledError, InvalidCitizenLoginError
from app.citizen.schemas import (
    AccessLog,
    CitizenLogin,
    CitizenToken,
    ConsentCreate,
    ConsentRead,
    Wallet,
)
from app.config import Settings
from app.db import Database, SessionDep
from app.identity.documents import Document
from app.identity.schemas import CitizenDocument
from app.identity.service import lookup_citizen
from app.models.enums import CitizenField
from app.problems import UNAUTHENTICATED_CODES, problem_responses

router = APIRouter(tags=["citizen"])
CITIZEN_ERRORS = problem_responses(401, codes={401: UNAUTHENTICATED_CODES})
# A citizen sees every field of their own record.
OWN_RECORD = PurposePolicy(code="own_record", operations=frozenset(), fields=tuple(CitizenField))


@router.post(
    "/v1/citizen/login",
    summary="Sign in as a citizen (sandbox)",
    responses=problem_responses(
        401,
        403,
        429,
        codes={
            401: ["INVALID_CITIZEN_LOGIN"],
            403: ["CITIZEN_LOGIN_DISABLED"],
            429: ["TOO_MANY_FAILED_ATTEMPTS"],
        },
    ),
)
async def login(request: Request, session: SessionDep, body: CitizenLogin) -> CitizenToken:
    """Exchange a personal ID and the sandbox one-time code for a 15-minute citizen token.

    In the sandbox every citizen's code is the same documented value (README).
    Repeated failures for one personal ID or from one address lock them for a while
    (429 `TOO_MANY_FAILED_ATTEMPTS` with `Retry-After`), right code included.
    """
    settings: Settings = request.app.state.settings
    if not settings.citizen_login_enabled:
        raise CitizenLoginDisabledError("Citizen sign-in needs POPREG_CITIZEN_LOGIN_CODE here.")
    throttle: CredentialThrottle = request.app.state.throttle
    await throttle.admit_citizen_login(request.scope, body.personal_id)
    expected = settings.citizen_login_code.get_secret_value()
    try:
        await run_in_threadpool(service.check_login, session, body.personal_id, body.code, expected)
    except InvalidCitizenLoginError:
        await throttle.citizen_login_failed(request.scope, body.personal_id)
        raise
    tokens: TokenService = request.app.state.tokens
    token = await run_in_threadpool(
        partial(tokens.issue, body.personal_id, ("citizen",), audience=CITIZEN_AUDIENCE)
    )
    return CitizenToken(access_token=token.token, expires_in=token.expires_in)


@router.get(
    "/v1/me",
    summary="My record",
    response_model=CitizenDocument,
    response_model_exclude_unset=True,
    responses=CITIZEN_ERRORS,
)
async def my_record(request: Request, personal_id: CitizenDep) -> Document:
    """Everything the registry holds about the signed-in citizen."""
    database: Database = request.app.state.database
    return await database.run(lookup_citizen, database, personal_id, OWN_RECORD)


@router.get(
    "/v1/me/documents",
    summary="My documents (wallet)",
    response_model=Wallet,
    responses=problem_responses(
        401,
        404,
        codes={401: UNAUTHENTICATED_CODES, 404: ["CITIZEN_NOT_FOUND"]},
    ),
)
async def my_documents(request: Request, personal_id: CitizenDep) -> dict[str, Any]:
    """The identity card in use and every integrated sector record, as the VNeID app lists them.

    Each with its number, status, validity, the agency it comes from and when that
    agency last updated it (health insurance, driving licence, vehicles, …).
    """
    database: Database = request.app.state.database
    return await database.run(wallet.documents, database, personal_id)


@router.get("/v1/me/access-log", summary="Who read my data", responses=CITIZEN_ERRORS)
def my_access_log(
    personal_id: CitizenDep,
    session: SessionDep,
    before: Annotated[
        int | None, Query(ge=1, le=2**62, description="Cursor for older records.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AccessLog:
    """Every access to the citizen's data, newest first, in plain words: who, what, why, when.

    Refused attempts are listed too (for example a bank asking without consent).
    """
    records, next_before = service.access_log(session, personal_id, before=before, limit=limit)
    return AccessLog(records=records, next_before=next_before)


@router.get("/v1/me/consents", summary="My consents", responses=CITIZEN_ERRORS)
def my_consents(personal_id: CitizenDep, session: SessionDep) -> list[ConsentRead]:
    """Consents the citizen gave, live, expired or withdrawn."""
    return service.list_consents(session, personal_id)


@router.post(
    "/v1/me/consents",
    summary="Give consent",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(
        401,
        404,
        422,
        codes={404: ["PURPOSE_NOT_FOUND"], 422: ["CONSENT_NOT_NEEDED", "VALIDATION_FAILED"]},
    ),
)
async def give_consent(
    request: Request, personal_id: CitizenDep, body: ConsentCreate
) -> ConsentRead:
    """Let one agency act under one consent-requiring purpose, optionally for `days` days."""
    database: Database = request.app.state.database

    def grant() -> tuple[ConsentRead, AuditEntry]:
        with database.session_factory.begin() as session:
            return service.grant_consent(session, personal_id, body)

    consent, entry = await run_in_threadpool(grant)
    audit: AuditWriter = request.app.state.audit
    await audit.record(entry)
    return consent


@router.delete(
    "/v1/me/consents/{consent_id}",
    summary="Withdraw consent",
    responses=problem_responses(401, 404, codes={404: ["CONSENT_NOT_FOUND"]}),
)
async def withdraw_consent(
    request: Request, personal_id: CitizenDep, consent_id: Annotated[int, Path(ge=1, le=2**62)]
) -> ConsentRead:
    """Withdraw a consent; the agency is refused from the next request on."""
    database: Database = request.app.state.database

    def withdraw() -> tuple[ConsentRead, AuditEntry | None]:
        with database.session_factory.begin() as session:
            return service.withdraw_consent(session, personal_id, consent_id)

    consent, entry = await run_in_threadpool(withdraw)
    if entry is not None:
        audit: AuditWriter = request.app.state.audit
        await audit.record(entry)
    return consent
