"""Agency self-service (`/v1/agencies/me`) and the admin API for agencies and policies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

from app.agencies import service
from app.agencies.schemas import (
    AgencyAdminRead,
    AgencyCreate,
    AgencyCreated,
    AgencyLimits,
    AgencyRead,
    ApiKeyCreate,
    ApiKeyCreated,
    PurposeRead,
    PurposeWrite,
)
from app.auth.cache import CredentialCache
from app.auth.dependencies import AdminDep, PrincipalDep
from app.db import SessionDep
from app.problems import UNAUTHENTICATED_CODES, problem_responses

router = APIRouter(prefix="/v1/agencies", tags=["agencies"])
admin_router = APIRouter(
    prefix="/v1/admin/agencies",
    tags=["admin"],
    dependencies=[AdminDep],
    responses=problem_responses(403, codes={403: ["ADMIN_REQUIRED"]}),
)

AgencyCode = Annotated[str, Path(max_length=40, examples=["phusa-bank"])]
PurposeCode = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{1,39}$", examples=["kyc_onboarding"])]
KeyPrefix = Annotated[str, Path(max_length=24, examples=["prk_3f9a1c2b"])]
AUTH_ERRORS = problem_responses(401, codes={401: UNAUTHENTICATED_CODES})
ADMIN_ERRORS = problem_responses(404, 422, codes={404: ["AGENCY_NOT_FOUND", "PURPOSE_NOT_FOUND"]})


def _forget_cached_credentials(request: Request) -> None:
    cache: CredentialCache = request.app.state.credentials
    cache.invalidate()


@router.get("/me", summary="My agency and its policy", responses=AUTH_ERRORS)
def read_my_agency(principal: PrincipalDep, session: SessionDep) -> AgencyRead:
    """The calling agency with each purpose: operations allowed and fields it may receive."""
    agency = service.get_agency(session, principal.agency_code)
    return AgencyRead.model_validate(agency)


@router.post(
    "/me/keys",
    summary="Create another API key (rotation)",
    status_code=status.HTTP_201_CREATED,
    responses=AUTH_ERRORS,
)
def create_my_key(
    principal: PrincipalDep, session: SessionDep, body: ApiKeyCreate
) -> ApiKeyCreated:
    """A new key for the calling agency; the secret is shown only in this response."""
    agency = service.get_agency(session, principal.agency_code)
    key = service.issue_api_key(session, agency, label=body.label)
    return ApiKeyCreated(prefix=key.prefix, api_key=key.secret, label=body.label)


@router.delete(
    "/me/keys/{prefix}",
    summary="Revoke one of my API keys",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(
        401, 404, codes={401: ["INVALID_CREDENTIALS"], 404: ["API_KEY_NOT_FOUND"]}
    ),
)
def revoke_my_key(
    request: Request, principal: PrincipalDep, session: SessionDep, prefix: KeyPrefix
) -> Response:
    """Revoke a key of the calling agency; it stops working at once in every server process,
    and so do the access tokens issued for it."""
    agency = service.get_agency(session, principal.agency_code)
    service.revoke_api_key(session, prefix, agency=agency)
    _forget_cached_credentials(request)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@admin_router.get("", summary="List agencies")
def list_agencies(session: SessionDep) -> list[AgencyAdminRead]:
    """Every agency with its purposes and key prefixes (admin)."""
    return [AgencyAdminRead.model_validate(a) for a in service.list_agencies(session)]


@admin_router.post(
    "",
    summary="Create an agency",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409, 422, codes={409: ["AGENCY_EXISTS"]}),
)
def create_agency(session: SessionDep, body: AgencyCreate) -> AgencyCreated:
    """Create an agency with its purposes and a first API key, shown only here (admin)."""
    agency, key = service.create_agency(session, body)
    created = AgencyAdminRead.model_validate(agency)
    return AgencyCreated(
        **created.model_dump(),
        api_key=ApiKeyCreated(prefix=key.prefix, api_key=key.secret, label="initial"),
    )


@admin_router.get("/{code}", summary="Read an agency", responses=ADMIN_ERRORS)
def read_agency(session: SessionDep, code: AgencyCode) -> AgencyAdminRead:
    """One agency with its purposes and key prefixes (admin)."""
    return AgencyAdminRead.model_validate(service.get_agency(session, code))


@admin_router.put(
    "/{code}/purposes/{purpose}", summary="Create or replace a purpose", responses=ADMIN_ERRORS
)
def put_purpose(
    request: Request,
    session: SessionDep,
    code: AgencyCode,
    purpose: PurposeCode,
    body: PurposeWrite,
) -> PurposeRead:
    """Set the operations and fields of one purpose of an agency (admin)."""
    stored = service.set_purpose(session, service.get_agency(session, code), purpose, body)
    _forget_cached_credentials(request)
    return PurposeRead.model_validate(stored)


@admin_router.delete(
    "/{code}/purposes/{purpose}",
    summary="Remove a purpose",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ADMIN_ERRORS,
)
def delete_purpose(
    request: Request, session: SessionDep, code: AgencyCode, purpose: PurposeCode
) -> Response:
    """Withdraw a purpose from an agency (admin)."""
    service.remove_purpose(session, service.get_agency(session, code), purpose)
    _forget_cached_credentials(request)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@admin_router.put("/{code}/limits", summary="Set rate limit and quota", responses=ADMIN_ERRORS)
def put_limits(
    request: Request, session: SessionDep, code: AgencyCode, body: AgencyLimits
) -> AgencyAdminRead:
    """Set an agency's token bucket and daily quota (admin); applies at once in every process."""
    agency = service.set_limits(session, service.get_agency(session, code), body)
    _forget_cached_credentials(request)
    return AgencyAdminRead.model_validate(agency)


@admin_router.post(
    "/{code}/keys",
    summary="Create an API key for an agency",
    status_code=status.HTTP_201_CREATED,
    responses=ADMIN_ERRORS,
)
def create_key(session: SessionDep, code: AgencyCode, body: ApiKeyCreate) -> ApiKeyCreated:
    """A new key for the agency; the secret is shown only in this response (admin)."""
    key = service.issue_api_key(session, service.get_agency(session, code), label=body.label)
    return ApiKeyCreated(prefix=key.prefix, api_key=key.secret, label=body.label)


@admin_router.delete(
    "/{code}/keys/{prefix}",
    summary="Revoke an API key",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ADMIN_ERRORS,
)
def revoke_key(
    request: Request, session: SessionDep, code: AgencyCode, prefix: KeyPrefix
) -> Response:
    """Revoke a key of the agency (admin)."""
    service.revoke_api_key(session, prefix, agency=service.get_agency(session, code))
    _forget_cached_credentials(request)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
