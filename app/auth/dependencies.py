"""FastAPI dependencies: who is calling, under which purpose, and admin access."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from app.auth import service
from app.auth.cache import CredentialCache
from app.auth.errors import AdminRequiredError, InvalidCredentialsError, UnauthenticatedError
from app.auth.principal import Principal
from app.auth.throttle import CredentialThrottle
from app.auth.tokens import TokenService
from app.config import Settings
from app.db import Database

api_key_scheme = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="An agency API key (`prk_…`), from `popreg agency create` or the demo list.",
)
bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An OAuth2 access token from `POST /oauth/token`, or the admin token.",
)
ApiKeyHeader = Annotated[str | None, Depends(api_key_scheme)]
BearerHeader = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
PurposeHeader = Annotated[
    str | None,
    Header(
        alias="X-Purpose",
        description="The purpose this request serves; one of your agency's purposes.",
        examples=["kyc_onboarding"],
        max_length=40,
    ),
]


async def resolve_principal(
    request: Request, api_key: str | None, authorization: str | None
) -> Principal:
    """The calling agency, from an API key or an OAuth2 bearer token."""
    state = request.app.state
    database: Database = state.database
    cache: CredentialCache = state.credentials
    if api_key:
        throttle: CredentialThrottle = state.throttle
        throttle.admit_api_key(request.scope, api_key)
        try:
            if service.needs_database(cache, api_key):
                return await run_in_threadpool(
                    service.authenticate_api_key, database, cache, api_key
                )
            return service.authenticate_api_key(database, cache, api_key)
        except InvalidCredentialsError:
            await throttle.api_key_failed(request.scope, api_key)
            raise
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        tokens: TokenService = state.tokens
        return await run_in_threadpool(
            service.authenticate_token, database, cache, tokens, token.strip()
        )
    raise UnauthenticatedError("Send an API key in the X-API-Key header or an OAuth2 bearer token.")


async def get_principal(request: Request, api_key: ApiKeyHeader, bearer: BearerHeader) -> Principal:
    """The calling agency, from `X-API-Key` or an OAuth2 bearer token."""
    authorization = f"Bearer {bearer.credentials}" if bearer is not None else None
    return await resolve_principal(request, api_key, authorization)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def require_admin(request: Request, bearer: BearerHeader) -> None:
    settings: Settings = request.app.state.settings
    expected = settings.admin_token.get_secret_value().encode()
    if bearer is None or not secrets.compare_digest(bearer.credentials.encode(), expected):
        raise AdminRequiredError("This endpoint needs the admin token as a bearer token.")


AdminDep = Depends(require_admin)
