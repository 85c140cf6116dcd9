"""OAuth2 client credentials, JWKS, and refusing forged or stale tokens."""

import base64
import json
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import Registry

pytestmark = pytest.mark.anyio


async def token_for(
    client: httpx.AsyncClient, registry: Registry, agency: str, scope: str | None = None
) -> httpx.Response:
    form = {"grant_type": "client_credentials"}
    if scope:
        form["scope"] = scope
    return await client.post("/oauth/token", data=form, auth=(agency, registry.keys[agency]))


async def test_token_with_all_purposes_by_default(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    response = await token_for(client, registry, "phusa-bank")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["scope"] == "contact_update kyc_onboarding kyc_refresh"


async def test_token_verifies_against_the_published_jwks(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    token = (await token_for(client, registry, "phusa-bank", "kyc_onboarding")).json()
    jwks = (await client.get("/.well-known/jwks.json")).json()
    header = jwt.get_unverified_header(token["access_token"])
    [jwk] = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    public_key = jwt.PyJWK(jwk).key
    claims = jwt.decode(
        token["access_token"], public_key, algorithms=["RS256"], audience="popreg-api"
    )
    assert claims["sub"] == "phusa-bank"
    assert claims["scope"] == "kyc_onboarding"


async def test_token_acts_only_under_its_scopes(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    token = (await token_for(client, registry, "phusa-bank", "kyc_onboarding")).json()
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    ok = await client.get(
        f"/v1/citizens/{registry.head}", headers={**bearer, "X-Purpose": "kyc_onboarding"}
    )
    assert ok.status_code == 200
    refused = await client.get(
        f"/v1/citizens/{registry.head}", headers={**bearer, "X-Purpose": "kyc_refresh"}
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "PURPOSE_NOT_ALLOWED"


async def test_form_credentials_work_too(client: httpx.AsyncClient, registry: Registry) -> None:
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "saomai-telecom",
            "client_secret": registry.keys["saomai-telecom"],
        },
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("form", "auth", "status", "code", "error"),
    [
        (
            {"grant_type": "password"},
            ("phusa-bank", None),
            400,
            "UNSUPPORTED_GRANT_TYPE",
            "unsupported_grant_type",
        ),
        ({"grant_type": "client_credentials"}, None, 401, "INVALID_CLIENT", "invalid_client"),
        (
            {"grant_type": "client_credentials"},
            ("phusa-bank", "prk_00000000_x"),
            401,
            "INVALID_CLIENT",
            "invalid_client",
        ),
        (
            {"grant_type": "client_credentials"},
            ("saomai-telecom", None),
            401,
            "INVALID_CLIENT",
            "invalid_client",
        ),
        (
            {"grant_type": "client_credentials", "scope": "emergency_care"},
            ("phusa-bank", None),
            400,
            "INVALID_SCOPE",
            "invalid_scope",
        ),
    ],
)
async def test_token_errors(
    client: httpx.AsyncClient,
    registry: Registry,
    form: dict[str, str],
    auth: tuple[str, str | None] | None,
    status: int,
    code: str,
    error: str,
) -> None:
    basic = None
    if auth is not None:
        # A None secret means the bank's own key (wrong for any other client id).
        basic = (auth[0], auth[1] or registry.keys["phusa-bank"])
    response = await client.post("/oauth/token", data=form, auth=basic)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert body["error"] == error


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_forged_tokens_are_refused(client: httpx.AsyncClient, registry: Registry) -> None:
    real = (await token_for(client, registry, "phusa-bank")).json()["access_token"]
    header = {"kid": jwt.get_unverified_header(real)["kid"]}
    claims = jwt.decode(real, options={"verify_signature": False})
    now = datetime.now(UTC)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = {
        "wrong signature": jwt.encode(claims, stranger, algorithm="RS256", headers=header),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "hs256 with public key": jwt.encode(claims, "s" * 32, algorithm="HS256", headers=header),
        "tampered scope": ".".join(
            [real.split(".")[0], _b64({**claims, "scope": "emergency_care"}), real.split(".")[2]]
        ),
        "expired": jwt.encode(
            {
                **claims,
                "exp": now - timedelta(minutes=1),
                "iat": now - timedelta(hours=1),
                "nbf": now - timedelta(hours=1),
            },
            stranger,
            algorithm="RS256",
            headers=header,
        ),
        "garbage": "not.a.token",
    }
    for name, token in forged.items():
        response = await client.get("/v1/agencies/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.json()["code"] == "INVALID_CREDENTIALS", name
