"""JWTs popreg must refuse, signed with its own key where that matters.

tests/auth/test_tokens.py covers a stranger's signature, ``alg=none``, an HS256
token signed with a made-up secret and a tampered scope; here: tokens signed with
the real key but expired, not yet valid, for the other audience or another issuer,
HS256 signed with the real public key (algorithm confusion), odd ``kid`` headers,
scopes naming another agency's purpose, and tokens of a revoked key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.auth.repository import signing_keys
from app.auth.tokens import AUDIENCE, CITIZEN_AUDIENCE, ISSUER
from tests.conftest import Registry

pytestmark = pytest.mark.anyio

BANK = "phusa-bank"
ADMIN = {"Authorization": "Bearer sandbox-admin-token"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def real_key(client: httpx.AsyncClient, engine: Engine) -> tuple[str, Any]:
    """The kid and private key popreg signs with (created by the first token)."""
    await client.get("/.well-known/jwks.json")
    with Session(engine) as session:
        newest = signing_keys(session)[0]
        private = serialization.load_pem_private_key(newest.private_key_pem.encode(), None)
        return newest.kid, private


def signed_by_hand(header: dict[str, Any], key: Any) -> str:
    """An RS256 token with any header (PyJWT refuses to write some of them)."""
    payload = _b64(json.dumps(claims(), default=lambda d: int(d.timestamp())).encode())
    signing_input = f"{_b64(json.dumps(header).encode())}.{payload}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": BANK,
        "scope": "kyc_onboarding",
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
        "jti": uuid.uuid4().hex[:16],
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


async def me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/v1/agencies/me", headers={"Authorization": f"Bearer {token}"})


async def test_the_real_key_signing_the_control_token_is_accepted(
    client: httpx.AsyncClient, registry: Registry, engine: Engine
) -> None:
    kid, key = await real_key(client, engine)
    token = jwt.encode(claims(), key, algorithm="RS256", headers={"kid": kid})
    response = await me(client, token)
    assert response.status_code == 200, response.text  # so the refusals below are the claims'
    by_hand = signed_by_hand({"alg": "RS256", "typ": "JWT", "kid": kid}, key)
    assert (await me(client, by_hand)).status_code == 200


@pytest.mark.parametrize(
    "case",
    [
        "expired",
        "not yet valid",
        "issued in the future",
        "citizen audience",
        "other audience",
        "no audience",
        "other issuer",
        "no expiry",
        "no token id",
    ],
)
async def test_tokens_signed_by_popreg_with_wrong_claims_are_401(
    client: httpx.AsyncClient, registry: Registry, engine: Engine, case: str
) -> None:
    kid, key = await real_key(client, engine)
    now = datetime.now(UTC)
    body = {
        "expired": claims(exp=now - timedelta(seconds=30), iat=now - timedelta(hours=1)),
        "not yet valid": claims(nbf=now + timedelta(minutes=10)),
        "issued in the future": claims(iat=now + timedelta(minutes=10)),
        "citizen audience": claims(aud=CITIZEN_AUDIENCE),
        "other audience": claims(aud="another-api"),
        "no audience": claims(aud=None),
        "other issuer": claims(iss="https://issuer.example"),
        "no expiry": claims(exp=None),
        "no token id": claims(jti=None),
    }[case]
    response = await me(client, jwt.encode(body, key, algorithm="RS256", headers={"kid": kid}))
    assert response.status_code == 401, case
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "INVALID_CREDENTIALS"


async def test_hs256_signed_with_the_published_public_key_is_refused(
    client: httpx.AsyncClient, registry: Registry, engine: Engine
) -> None:
    kid, key = await real_key(client, engine)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    payload = _b64(json.dumps(claims(), default=lambda d: int(d.timestamp())).encode())
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    response = await me(client, f"{header}.{payload}.{_b64(signature)}")
    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_CREDENTIALS"


@pytest.mark.parametrize(
    "header",
    [
        {"kid": "0000000000000000"},
        {"kid": 7},
        {"kid": "../../etc/passwd"},
        {},
        {"kid": "x" * 5000},
    ],
    ids=["unknown", "number", "path", "missing", "huge"],
)
async def test_odd_kid_headers_are_401(
    client: httpx.AsyncClient, registry: Registry, engine: Engine, header: dict[str, Any]
) -> None:
    _kid, key = await real_key(client, engine)
    response = await me(client, signed_by_hand({"alg": "RS256", "typ": "JWT", **header}, key))
    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_CREDENTIALS"


async def test_a_scope_naming_another_agencys_purpose_grants_nothing(
    client: httpx.AsyncClient, registry: Registry, engine: Engine
) -> None:
    kid, key = await real_key(client, engine)
    # Signed by popreg, yet the bank has no purpose patient_checkin: it is dropped.
    token = jwt.encode(
        claims(scope="patient_checkin kyc_onboarding"), key, algorithm="RS256", headers={"kid": kid}
    )
    response = await client.get(
        f"/v1/citizens/{registry.head}",
        headers={"Authorization": f"Bearer {token}", "X-Purpose": "patient_checkin"},
    )
    assert response.status_code == 403
    assert response.json()["code"] == "PURPOSE_NOT_ALLOWED"


async def test_a_scope_cannot_be_widened_at_the_token_endpoint(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "patient_checkin"},
        auth=(BANK, registry.keys[BANK]),
    )
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_SCOPE"


async def test_a_token_of_one_agencys_key_cannot_speak_for_another(
    client: httpx.AsyncClient, registry: Registry, engine: Engine
) -> None:
    kid, key = await real_key(client, engine)
    bank_prefix = registry.keys[BANK][:12]
    token = jwt.encode(
        claims(sub="honglinh-hospital", scope="patient_checkin", key=bank_prefix),
        key,
        algorithm="RS256",
        headers={"kid": kid},
    )
    response = await me(client, token)
    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_CREDENTIALS"


async def test_revoking_a_key_ends_the_tokens_issued_for_it(
    committing_client: httpx.AsyncClient, registry: Registry
) -> None:
    code = f"test-{uuid.uuid4().hex[:8]}"
    created = await committing_client.post(
        "/v1/admin/agencies",
        json={
            "code": code,
            "name": "Quỹ Tín dụng Thử nghiệm",
            "sector": "bank",
            "purposes": {
                "kyc_onboarding": {
                    "description": "Verify new members",
                    "operations": ["lookup"],
                    "fields": ["personal_id", "full_name"],
                }
            },
        },
        headers=ADMIN,
    )
    key = created.json()["api_key"]
    spare = await committing_client.post(
        f"/v1/admin/agencies/{code}/keys", json={"label": "spare"}, headers=ADMIN
    )
    token = (
        await committing_client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(code, key["api_key"])
        )
    ).json()["access_token"]
    assert (await me(committing_client, token)).status_code == 200
    revoked = await committing_client.delete(
        f"/v1/admin/agencies/{code}/keys/{key['prefix']}", headers=ADMIN
    )
    assert revoked.status_code == 204
    refused = await me(committing_client, token)
    assert refused.status_code == 401
    assert refused.json()["code"] == "INVALID_CREDENTIALS"
    # The agency's other key, and tokens issued for it, keep working.
    spare_key = spare.json()["api_key"]
    fresh = await committing_client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(code, spare_key)
    )
    assert (await me(committing_client, fresh.json()["access_token"])).status_code == 200


@pytest.mark.parametrize("case", ["wrong signature", "alg none", "agency audience"])
async def test_forged_citizen_tokens_are_401(
    client: httpx.AsyncClient, registry: Registry, engine: Engine, case: str
) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    kid, key = await real_key(client, engine)
    body = claims(aud=CITIZEN_AUDIENCE, sub=registry.head, scope="citizen")
    if case == "wrong signature":
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = jwt.encode(body, stranger, algorithm="RS256", headers={"kid": kid})
    elif case == "alg none":
        header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
        payload = _b64(json.dumps(body, default=lambda d: int(d.timestamp())).encode())
        token = f"{header}.{payload}."
    else:
        token = jwt.encode({**body, "aud": AUDIENCE}, key, algorithm="RS256", headers={"kid": kid})
    response = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, case
    assert response.json()["code"] == "INVALID_CREDENTIALS"
