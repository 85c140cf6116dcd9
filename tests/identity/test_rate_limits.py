"""Rate limits on the identity endpoints: headers on success, 429 over the limit."""

import asyncio
import uuid

import httpx
import pytest

from tests.conftest import Registry

pytestmark = pytest.mark.anyio
ADMIN = {"Authorization": "Bearer sandbox-admin-token"}


async def limited_agency(client: httpx.AsyncClient, burst: int, quota: int | None) -> str:
    code = f"limited-{uuid.uuid4().hex[:8]}"
    created = await client.post(
        "/v1/admin/agencies",
        json={
            "code": code,
            "name": "Ngân hàng Nhỏ (test)",
            "sector": "bank",
            "limits": {"rate_per_second": 0.01, "burst": burst, "daily_quota": quota},
            "purposes": {
                "kyc_onboarding": {
                    "description": "Verify new members",
                    "operations": ["lookup", "verify", "batch_verify"],
                    "fields": ["personal_id", "full_name"],
                }
            },
        },
        headers=ADMIN,
    )
    assert created.status_code == 201, created.text
    return str(created.json()["api_key"]["api_key"])


async def test_burst_then_429_on_route_and_fast_path(
    committing_client: httpx.AsyncClient, registry: Registry
) -> None:
    key = await limited_agency(committing_client, burst=3, quota=None)
    headers = {"X-API-Key": key, "X-Purpose": "kyc_onboarding"}
    responses = [
        await committing_client.get(f"/v1/citizens/{registry.head}", headers=headers)
        for _ in range(4)
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    # The first answer came from the FastAPI route, the next ones from the fast path.
    assert [r.headers["ratelimit-remaining"] for r in responses[:3]] == ["2", "1", "0"]
    refused = responses[3]
    assert refused.json()["code"] == "RATE_LIMITED"
    assert int(refused.headers["retry-after"]) >= 1


async def test_a_batch_costs_one_per_record(
    committing_client: httpx.AsyncClient, registry: Registry
) -> None:
    key = await limited_agency(committing_client, burst=5, quota=None)
    body = {
        "purpose": "kyc_onboarding",
        "records": [{"personal_id": registry.head, "claims": {"full_name": "x"}}] * 4,
    }
    first = await committing_client.post(
        "/v1/identity/verify/batch", json=body, headers={"X-API-Key": key}
    )
    assert first.status_code == 200
    second = await committing_client.post(
        "/v1/identity/verify/batch", json=body, headers={"X-API-Key": key}
    )
    assert second.status_code == 429


async def test_daily_quota_is_quota_exceeded(
    committing_client: httpx.AsyncClient, registry: Registry
) -> None:
    key = await limited_agency(committing_client, burst=10, quota=2)
    headers = {"X-API-Key": key, "X-Purpose": "kyc_onboarding"}
    codes = [
        (await committing_client.get(f"/v1/citizens/{registry.head}", headers=headers)).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    last = await committing_client.get(f"/v1/citizens/{registry.head}", headers=headers)
    assert last.json()["code"] == "QUOTA_EXCEEDED"


async def test_admin_raises_the_limit_at_once(
    committing_client: httpx.AsyncClient, registry: Registry
) -> None:
    key = await limited_agency(committing_client, burst=1, quota=None)
    headers = {"X-API-Key": key, "X-Purpose": "kyc_onboarding"}
    me = (await committing_client.get("/v1/agencies/me", headers={"X-API-Key": key})).json()
    assert (me["burst"], me["daily_quota"]) == (1, None)
    await committing_client.get(f"/v1/citizens/{registry.head}", headers=headers)
    assert (
        await committing_client.get(f"/v1/citizens/{registry.head}", headers=headers)
    ).status_code == 429
    raised = await committing_client.put(
        f"/v1/admin/agencies/{me['code']}/limits",
        json={"rate_per_second": 100, "burst": 100},
        headers=ADMIN,
    )
    assert raised.status_code == 200
    assert raised.json()["burst"] == 100
    await asyncio.sleep(0.05)  # at 100/s the bucket holds a few tokens again
    after = await committing_client.get(f"/v1/citizens/{registry.head}", headers=headers)
    assert after.status_code == 200
