"""Resolve credentials (API key or OAuth2 token) to a Principal, and check purposes."""

from __future__ import annotations

from typing import Literal

from sqlalchemy.orm import Session

from app.agencies import repository as agencies
from app.agencies.keys import key_matches, key_prefix
from app.agencies.service import to_principal
from app.auth.cache import CachedKey, CredentialCache
from app.auth.errors import (
    InvalidCredentialsError,
    OperationNotAllowedError,
    PurposeNotAllowedError,
    PurposeRequiredError,
)
from app.auth.principal import Principal, PurposePolicy
from app.auth.tokens import InvalidTokenError, TokenService
from app.db import Database
from app.models.enums import Operation

INVALID_KEY = "The API key is not valid (unknown, malformed or revoked)."


def authenticate_api_key(database: Database, cache: CredentialCache, key: str) -> Principal:
    prefix = key_prefix(key)
    if prefix is None:
        raise InvalidCredentialsError(INVALID_KEY)
    cached = _cached_key(database, cache, prefix)
    if cached is False or not key_matches(key, cached.key_hash):
        raise InvalidCredentialsError(INVALID_KEY)
    return cached.principal


def _cached_key(
    database: Database, cache: CredentialCache, prefix: str
) -> CachedKey | Literal[False]:
    cached = cache.key(prefix)
    if cached is None:
        generation = cache.generation  # taken before the read: a change during it wins
        with database.session_factory() as session:
            cached = _load_key(session, cache, prefix, generation)
    return cached


def cached_principal(cache: CredentialCache, key: str) -> Principal | None:
    """The principal of a key valid in the cache; None when only the database can tell."""
    prefix = key_prefix(key)
    if prefix is None:
        return None
    cached = cache.key(prefix)
    if not cached or not key_matches(key, cached.key_hash):
        return None
    return cached.principal


def needs_database(cache: CredentialCache, key: str) -> bool:
    """Whether authenticating ``key`` must read the database (a cache miss)."""
    prefix = key_prefix(key)
    return prefix is not None and cache.key(prefix) is None


def _load_key(
    session: Session, cache: CredentialCache, prefix: str, generation: int
) -> CachedKey | Literal[False]:
    found = agencies.find_active_key(session, prefix)
    if found is None:
        cache.put_absent_key(prefix, generation=generation)
        return False
    api_key, agency = found
    return cache.put_key(
        prefix,
        api_key.key_hash,
        to_principal(agency, credential_id=prefix),
        generation=generation,
    )


def authenticate_token(
    database: Database, cache: CredentialCache, tokens: TokenService, token: str
) -> Principal:
    try:
        claims = tokens.verify(token)
    except InvalidTokenError as exc:
        raise InvalidCredentialsError("The access token is not valid or has expired.") from exc
    if claims.key is not None:
        # A token lives only as long as the API key it was issued for.
        key = _cached_key(database, cache, claims.key)
        if key is False or key.principal.agency_code != claims.subject:
            raise InvalidCredentialsError("The API key this token was issued for is revoked.")
        principal = key.principal
    else:
        principal = _agency_principal(database, cache, claims.subject)
    restricted = principal.restricted_to(claims.scopes)
    return Principal(
        agency_id=restricted.agency_id,
        agency_code=restricted.agency_code,
        sector=restricted.sector,
        purposes=restricted.purposes,
        credential="oauth2",
        credential_id=claims.token_id,
        limits=restricted.limits,
    )


def _agency_principal(database: Database, cache: CredentialCache, code: str) -> Principal:
    principal = cache.agency(code)
    if principal is None:
        generation = cache.generation
        with database.session_factory() as session:
            agency = agencies.get_agency(session, code)
            if agency is None or not agency.active:
                raise InvalidCredentialsError("The token's agency no longer exists.")
            principal = to_principal(agency)
        cache.put_agency(principal, generation=generation)
    return principal


def authorize(principal: Principal, purpose: str | None, operation: Operation) -> PurposePolicy:
    """The policy under which ``principal`` may perform ``operation``, or a 4xx error."""
    if not purpose:
        raise PurposeRequiredError(
            "Name the purpose of this request in the X-Purpose header "
            f"(your purposes: {', '.join(sorted(principal.purposes)) or 'none'})."
        )
    policy = principal.purposes.get(purpose)
    if policy is None:
        granted = "in this token's scopes" if principal.credential == "oauth2" else "granted"
        raise PurposeNotAllowedError(
            f"Purpose {purpose!r} is not {granted} for agency {principal.agency_code!r}."
        )
    if not policy.allows(operation):
        raise OperationNotAllowedError(
            f"Purpose {purpose!r} does not allow the operation {operation.value!r} "
            f"(it allows: {', '.join(sorted(op.value for op in policy.operations))})."
        )
    return policy
