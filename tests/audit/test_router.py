"""Every lookup, verification and refusal is audited; agencies read only their own."""

import httpx
import pytest

from tests.conftest import Registry

pytestmark = pytest.mark.anyio
ADMIN = {"Authorization": "Bearer sandbox-admin-token"}


async def test_lookups_and_refusals_are_audited(
    committing_client: httpx.AsyncClient, registry: Registry
) -> None:
    client = committing_client
    key = {"X-API-Key": registry.keys["honglinh-hospital"]}
    ok = await client.get(
        f"/v1/citizens/{registry.head}", headers={**key, "X-Purpose": "patient_checkin"}
    )
    denied = await client.get(
        f"/v1/citizens/{registry.head}", headers={**key, "X-Purpose": "kyc_onboarding"}
    )
    missing = await client.get(
        f"/v1/citizens/{registry.unknown}", headers={**key, "X-Purpose": "patient_checkin"}
    )
    by_request = {}
    for response in (ok, denied, missing):
        request_id = response.headers["x-request-id"]
        page = await client.get("/v1/audit/events", params={"request_id": request_id}, headers=key)
        [by_request[request_id]] = page.json()["events"]
    disclosed = by_request[ok.headers["x-request-id"]]
    assert disclosed["outcome"] == "disclosed"
    assert disclosed["personal_id"] == registry.head
    assert disclosed["purpose"] == "patient_checkin"
    assert "health_insurance_card" in disclosed["fields"]
    refused = by_request[denied.headers["x-request-id"]]
    assert (refused["outcome"], refused["code"]) == ("denied", "PURPOSE_NOT_ALLOWED")
    assert refused["fields"] == []
    assert by_request[missing.headers["x-request-id"]]["outcome"] == "not_found"


async def test_batch_verification_writes_one_record_per_citizen(
    committing_client: httpx.AsyncClient, registry: Registry
) -> None:
    key = {"X-API-Key": registry.keys["saomai-telecom"]}
    claims = {"full_name": "Trần Minh Khôi"}
    response = await committing_client.post(
        "/v1/identity/verify/batch",
        json={
            "purpose": "subscriber_verification",
            "records": [
                {"personal_id": registry.head, "claims": claims},
                {"personal_id": registry.spouse, "claims": claims},
                {"personal_id": "nonsense", "claims": claims},
            ],
        },
        headers=key,
    )
    request_id = response.headers["x-request-id"]
    mine = (
        await committing_client.get(
            "/v1/audit/events", params={"request_id": request_id}, headers=key
        )
    ).json()["events"]
    assert [(e["personal_id"], e["outcome"]) for e in mine] == [
        (registry.head, "verified"),
        (registry.spouse, "verified"),
        (None, "invalid"),
    ]
    assert mine[0]["fields"] == ["personal_id", "full_name"]


async def test_agencies_see_only_their_own_records_and_admin_sees_all(
    committing_client: httpx.AsyncClient, registry: Registry
) -> None:
    client = committing_client
    for agency, purpose in [
        ("honglinh-hospital", "patient_checkin"),
        ("phusa-bank", "kyc_onboarding"),
    ]:
        await client.get(
            f"/v1/citizens/{registry.head}",
            headers={"X-API-Key": registry.keys[agency], "X-Purpose": purpose},
        )
    bank = (
        await client.get(
            "/v1/audit/events",
            params={"limit": 1000},
            headers={"X-API-Key": registry.keys["phusa-bank"]},
        )
    ).json()["events"]
    assert bank
    assert {e["agency_code"] for e in bank} == {"phusa-bank"}
    spoofed = (
        await client.get(
            "/v1/audit/events",
            params={"agency": "honglinh-hospital", "limit": 1000},
            headers={"X-API-Key": registry.keys["phusa-bank"]},
        )
    ).json()["events"]
    assert {e["agency_code"] for e in spoofed} == {"phusa-bank"}
    for agency in ("phusa-bank", "honglinh-hospital"):
        page = await client.get("/v1/audit/events", params={"agency": agency}, headers=ADMIN)
        assert {e["agency_code"] for e in page.json()["events"]} == {agency}


async def test_cursor_pagination_walks_forward_without_overlap(
    committing_client: httpx.AsyncClient, registry: Registry
) -> None:
    client = committing_client
    headers = {"X-API-Key": registry.keys["honglinh-hospital"], "X-Purpose": "patient_checkin"}
    for _ in range(5):
        await client.get(f"/v1/citizens/{registry.head}", headers=headers)
    seen: list[int] = []
    cursor = "0"
    while cursor is not None:
        page = (
            await client.get(
                "/v1/audit/events", params={"after": cursor, "limit": 2}, headers=ADMIN
            )
        ).json()
        seen.extend(e["seq"] for e in page["events"])
        cursor = page["next_cursor"]
    assert seen == sorted(set(seen))
    assert len(seen) >= 5


async def test_audit_events_need_credentials(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/audit/events")
    assert response.status_code == 401
