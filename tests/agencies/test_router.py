"""Agency self-service and the admin API.

Flows that create agencies or keys commit them (``committing_client``): the
credential check reads through its own connection, as it does in production.
"""

import uuid

import httpx
import pytest

from tests.conftest import Registry

pytestmark = pytest.mark.anyio
ADMIN = {"Authorization": "Bearer sandbox-admin-token"}


def new_agency(code: str) -> dict[str, object]:
    return {
        "code": code,
        "name": "Quỹ Tín dụng Thử nghiệm",
        "sector": "bank",
        "purposes": {
            "kyc_onboarding": {
                "description": "Verify new members",
                "operations": ["lookup", "verify"],
                "fields": ["full_name", "personal_id", "birth_date"],
            }
        },
    }


async def test_me_shows_the_policy(client: httpx.AsyncClient, registry: Registry) -> None:
    response = await client.get(
        "/v1/agencies/me", headers={"X-API-Key": registry.keys["saomai-telecom"]}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["sector"] == "telecom"
    [purpose] = body["purposes"]
    assert purpose["code"] == "subscriber_verification"
    assert purpose["operations"] == ["batch_verify", "clean", "verify"]
    assert purpose["fields"] == ["personal_id", "full_name", "birth_date", "phone"]


async def test_me_needs_credentials(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/agencies/me")
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHENTICATED"
    assert "Bearer" in response.headers["www-authenticate"]


@pytest.mark.parametrize("token", [None, "wrong"])
async def test_admin_api_needs_the_admin_token(
    client: httpx.AsyncClient, token: str | None
) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.get("/v1/admin/agencies", headers=headers)
    assert response.status_code == 403
    assert response.json()["code"] == "ADMIN_REQUIRED"


async def test_admin_creates_an_agency_whose_key_works_at_once(
    committing_client: httpx.AsyncClient, registry: Registry
) -> None:
    code = f"test-{uuid.uuid4().hex[:8]}"
    created = await committing_client.post(
        "/v1/admin/agencies", json=new_agency(code), headers=ADMIN
    )
    assert created.status_code == 201, created.text
    body = created.json()
    key = body["api_key"]["api_key"]
    assert key.startswith(body["api_key"]["prefix"] + "_")
    assert [k["prefix"] for k in body["api_keys"]] == [body["api_key"]["prefix"]]
    # Fields are kept in catalogue order whatever order they were sent in.
    assert body["purposes"][0]["fields"] == ["personal_id", "full_name", "birth_date"]
    me = await committing_client.get("/v1/agencies/me", headers={"X-API-Key": key})
    assert me.json()["code"] == code
    again = await committing_client.post("/v1/admin/agencies", json=new_agency(code), headers=ADMIN)
    assert again.status_code == 409
    assert again.json()["code"] == "AGENCY_EXISTS"


async def test_policy_edit_takes_effect_at_once(
    committing_client: httpx.AsyncClient, registry: Registry
) -> None:
    code = f"test-{uuid.uuid4().hex[:8]}"
    key = (
        await committing_client.post("/v1/admin/agencies", json=new_agency(code), headers=ADMIN)
    ).json()["api_key"]["api_key"]
    auth = {"X-API-Key": key, "X-Purpose": "kyc_onboarding"}
    before = await committing_client.get(f"/v1/citizens/{registry.head}", headers=auth)
    assert sorted(before.json()) == ["birth_date", "full_name", "personal_id"]
    purpose = {"description": "Verify members", "operations": ["verify"], "fields": ["full_name"]}
    put = await committing_client.put(
        f"/v1/admin/agencies/{code}/purposes/kyc_onboarding", json=purpose, headers=ADMIN
    )
    assert put.status_code == 200
    after = await committing_client.get(f"/v1/citizens/{registry.head}", headers=auth)
    assert after.json()["code"] == "OPERATION_NOT_ALLOWED"
    removed = await committing_client.delete(
        f"/v1/admin/agencies/{code}/purposes/kyc_onboarding", headers=ADMIN
    )
    assert removed.status_code == 204
    gone = await committing_client.get(f"/v1/citizens/{registry.head}", headers=auth)
    assert gone.json()["code"] == "PURPOSE_NOT_ALLOWED"


async def test_rotation_then_revocation(
    committing_client: httpx.AsyncClient, registry: Registry
) -> None:
    code = f"test-{uuid.uuid4().hex[:8]}"
    first = (
        await committing_client.post("/v1/admin/agencies", json=new_agency(code), headers=ADMIN)
    ).json()["api_key"]
    second = await committing_client.post(
        "/v1/agencies/me/keys", json={"label": "rotation"}, headers={"X-API-Key": first["api_key"]}
    )
    assert second.status_code == 201
    new_key = second.json()["api_key"]
    revoked = await committing_client.delete(
        f"/v1/agencies/me/keys/{first['prefix']}", headers={"X-API-Key": new_key}
    )
    assert revoked.status_code == 204
    old = await committing_client.get("/v1/agencies/me", headers={"X-API-Key": first["api_key"]})
    assert old.status_code == 401
    assert old.json()["code"] == "INVALID_CREDENTIALS"
    assert (
        await committing_client.get("/v1/agencies/me", headers={"X-API-Key": new_key})
    ).status_code == 200


async def test_an_agency_cannot_revoke_another_agencys_key(
    committing_client: httpx.AsyncClient, registry: Registry
) -> None:
    code = f"test-{uuid.uuid4().hex[:8]}"
    other = (
        await committing_client.post("/v1/admin/agencies", json=new_agency(code), headers=ADMIN)
    ).json()["api_key"]
    response = await committing_client.delete(
        f"/v1/agencies/me/keys/{other['prefix']}",
        headers={"X-API-Key": registry.keys["saomai-telecom"]},
    )
    assert response.status_code == 404
    assert (
        await committing_client.get("/v1/agencies/me", headers={"X-API-Key": other["api_key"]})
    ).status_code == 200


@pytest.mark.parametrize(
    "key", ["", "not-a-key", "prk_12345678_wrongsecret", "prk_zz_x", "x" * 500]
)
async def test_bad_keys_are_401(client: httpx.AsyncClient, key: str) -> None:
    response = await client.get("/v1/agencies/me", headers={"X-API-Key": key})
    assert response.status_code == 401


async def test_wrong_secret_with_a_real_prefix_is_401(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    real = registry.keys["phusa-bank"]
    forged = real[: real.rindex("_") + 1] + "forged"
    response = await client.get("/v1/agencies/me", headers={"X-API-Key": forged})
    assert response.status_code == 401


PURPOSE = {"description": "Verify members", "operations": ["verify"], "fields": ["full_name"]}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("limits", {"daily_quota": False}),  # was taken as a quota of 0
        ("limits", {"burst": True}),
        ("limits", {"rate_per_second": "50"}),
        ("limits", {"daily_quota": 999_999_999_999_999}),  # was a 500 on PostgreSQL
        ("purposes/kyc_onboarding", {**PURPOSE, "consent_required": 0}),
    ],
)
async def test_values_of_the_wrong_json_type_or_range_are_refused(
    client: httpx.AsyncClient, registry: Registry, path: str, body: dict[str, object]
) -> None:
    # Found by contract fuzzing (negative_data_rejection, and a 500 on PostgreSQL).
    response = await client.put(f"/v1/admin/agencies/phusa-bank/{path}", json=body, headers=ADMIN)
    assert (response.status_code, response.json()["code"]) == (422, "VALIDATION_FAILED")
