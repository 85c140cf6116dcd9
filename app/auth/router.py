"""OAuth2 client credentials: exchange an agency's key for a short-lived JWT."""

from __future__ import annotations

import base64
import binascii
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Header, Request
from starlette.concurrency import run_in_threadpool

from app.auth import service
from app.auth.errors import (
    InvalidClientError,
    InvalidCredentialsError,
    InvalidScopeError,
    UnsupportedGrantTypeError,
)
from app.auth.principal import Principal
from app.auth.schemas import JsonWebKeySet, TokenResponse
from app.auth.throttle import CredentialThrottle
from app.auth.tokens import TokenService
from app.problems import problem_responses

router = APIRouter(tags=["auth"])


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


@router.post(
    "/oauth/token",
    summary="Get an access token (OAuth2 client credentials)",
    responses=problem_responses(
        400,
        401,
        429,
        codes={
            400: ["UNSUPPORTED_GRANT_TYPE", "INVALID_SCOPE"],
            401: ["INVALID_CLIENT"],
            429: ["TOO_MANY_FAILED_ATTEMPTS"],
        },
    ),
)
async def issue_token(
    request: Request,
    grant_type: Annotated[str, Form(examples=["client_credentials"])],
    client_id: Annotated[
        str | None, Form(description="The agency code.", examples=["phusa-bank"])
    ] = None,
    client_secret: Annotated[
        str | None,
        Form(description="One of the agency's API keys.", examples=["prk_d379bdb6_demo…"]),
    ] = None,
    scope: Annotated[
        str | None,
        Form(
            description="Space-separated purposes; default all of them.",
            examples=["kyc_onboarding"],
        ),
    ] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> TokenResponse:
    """Exchange agency credentials for a short-lived RS256 JWT whose scopes are purposes.

    Authenticate with HTTP Basic (`client_id:client_secret`) or the form fields
    `client_id` (agency code) and `client_secret` (an API key of that agency).
    """
    if grant_type != "client_credentials":
        raise UnsupportedGrantTypeError(
            "Only grant_type=client_credentials is supported.",
            extensions={"error": "unsupported_grant_type"},
        )
    basic = _basic_credentials(authorization)
    if basic is not None:
        client_id, client_secret = basic
    if not client_id or not client_secret:
        raise InvalidClientError(
            "Send client_id and client_secret (form fields or HTTP Basic).",
            extensions={"error": "invalid_client"},
        )
    state = request.app.state
    invalid = InvalidClientError(
        "The client credentials are not valid.", extensions={"error": "invalid_client"}
    )
    throttle: CredentialThrottle = state.throttle
    throttle.admit_api_key(request.scope, client_secret)
    try:
        principal: Principal = await run_in_threadpool(
            service.authenticate_api_key, state.database, state.credentials, client_secret
        )
    except InvalidCredentialsError:
        await throttle.api_key_failed(request.scope, client_secret)
        raise invalid from None
    if principal.agency_code != client_id:
        await throttle.api_key_failed(request.scope, client_secret)
        raise invalid
    requested = tuple(dict.fromkeys(scope.split())) if scope else tuple(sorted(principal.purposes))
    unknown = [s for s in requested if s not in principal.purposes]
    if unknown:
        raise InvalidScopeError(
            f"Not purposes of agency {client_id!r}: {', '.join(unknown)}.",
            extensions={"error": "invalid_scope"},
        )
    tokens: TokenService = state.tokens
    issued = await run_in_threadpool(
        partial(tokens.issue, principal.agency_code, requested, key=principal.credential_id)
    )
    return TokenResponse(
        access_token=issued.token, expires_in=issued.expires_in, scope=" ".join(issued.scopes)
    )


@router.get("/.well-known/jwks.json", summary="Token signing keys (JWKS)")
async def jwks(request: Request) -> JsonWebKeySet:
    """The public keys that verify popreg access tokens (RFC 7517)."""
    tokens: TokenService = request.app.state.tokens
    return JsonWebKeySet.model_validate(await run_in_threadpool(tokens.jwks))
