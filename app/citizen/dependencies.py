"""The signed-in citizen, from a citizen access token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from app.auth.dependencies import BearerHeader
from app.auth.errors import InvalidCredentialsError, UnauthenticatedError
from app.auth.tokens import CITIZEN_AUDIENCE, InvalidTokenError, TokenService


async def get_citizen(request: Request, bearer: BearerHeader) -> str:
    """The personal ID of the signed-in citizen."""
    if bearer is None:
        raise UnauthenticatedError("Sign in with POST /v1/citizen/login and send the token.")
    tokens: TokenService = request.app.state.tokens
    try:
        claims = await run_in_threadpool(
            tokens.verify, bearer.credentials, audience=CITIZEN_AUDIENCE
        )
    except InvalidTokenError as exc:
        raise InvalidCredentialsError("The citizen token is not valid or has expired.") from exc
    return claims.subject


CitizenDep = Annotated[str, Depends(get_citizen)]
