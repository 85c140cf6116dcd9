"""OAuth2 access tokens: RS256 JWTs whose scopes are the agency's purposes.

The signing keys live in the database so that every worker process and
machine signs and verifies with the same keys and publishes them in one JWKS.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from app.auth import repository
from app.db import Database
from app.models import SigningKey

ISSUER = "popreg"
AUDIENCE = "popreg-api"  # agencies
CITIZEN_AUDIENCE = "popreg-citizen"  # citizens signed in to see their own data
ALGORITHM = "RS256"


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_in: int
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subject: str  # an agency code, or a personal ID for citizen tokens
    scopes: frozenset[str]
    token_id: str
    key: str | None = None  # the prefix of the API key an agency token was issued for


class InvalidTokenError(Exception):
    """The token is malformed, wrongly signed, expired or not for this API."""


class TokenService:
    def __init__(self, database: Database, lifetime_seconds: int) -> None:
        self.database = database
        self.lifetime = lifetime_seconds
        self._lock = threading.Lock()
        self._signing: tuple[str, rsa.RSAPrivateKey] | None = None
        self._public: dict[str, rsa.RSAPublicKey] = {}

    def _load(self) -> None:
        with self._lock, self.database.session_factory.begin() as session:
            stored = list(repository.signing_keys(session))
            if not stored:
                stored = [_new_signing_key()]
                repository.add_signing_key(session, stored[0])
            keys = {key.kid: _private_key(key.private_key_pem) for key in stored}
            self._public = {kid: key.public_key() for kid, key in keys.items()}
            self._signing = (stored[0].kid, keys[stored[0].kid])

    def _signing_key(self) -> tuple[str, rsa.RSAPrivateKey]:
        if self._signing is None:
            self._load()
        assert self._signing is not None
        return self._signing

    def issue(
        self,
        subject: str,
        scopes: tuple[str, ...],
        *,
        audience: str = AUDIENCE,
        lifetime: int | None = None,
        key: str | None = None,
    ) -> AccessToken:
        kid, signing_key = self._signing_key()
        now = datetime.now(UTC)
        lifetime = lifetime or self.lifetime
        claims = {
            "iss": ISSUER,
            "aud": audience,
            "sub": subject,
            "scope": " ".join(scopes),
            "iat": now,
            "nbf": now,
            "exp": now + timedelta(seconds=lifetime),
            "jti": secrets.token_hex(8),
        }
        if key is not None:
            claims["key"] = key  # revoking the key ends the token too
        token = jwt.encode(claims, signing_key, algorithm=ALGORITHM, headers={"kid": kid})
        return AccessToken(token=token, expires_in=lifetime, scopes=scopes)

    def verify(self, token: str, *, audience: str = AUDIENCE) -> TokenClaims:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            public_key = self._public_key(kid)
            claims = jwt.decode(
                token,
                public_key,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "aud", "iss", "jti"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(type(exc).__name__) from exc
        scope = claims.get("scope", "")
        key = claims.get("key")
        if not isinstance(scope, str) or not isinstance(key, str | None):
            raise InvalidTokenError("claims")
        return TokenClaims(
            subject=str(claims["sub"]),
            scopes=frozenset(scope.split()),
            token_id=str(claims["jti"]),
            key=key,
        )

    def _public_key(self, kid: object) -> rsa.RSAPublicKey:
        if not isinstance(kid, str):
            raise InvalidTokenError("kid")
        if self._signing is None or kid not in self._public:
            self._load()  # another worker may have created a newer key
        if kid not in self._public:
            raise InvalidTokenError("kid")
        return self._public[kid]

    def jwks(self) -> dict[str, Any]:
        self._signing_key()
        keys = []
        for kid, public_key in self._public.items():
            jwk: dict[str, Any] = RSAAlgorithm.to_jwk(public_key, as_dict=True)
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM})
        return {"keys": keys}


def _new_signing_key() -> SigningKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return SigningKey(kid=secrets.token_hex(8), private_key_pem=pem, created_at=datetime.now(UTC))


def _private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("signing keys must be RSA")
    return key
