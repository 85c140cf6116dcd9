"""One agency sees nothing of another's: audit records, cleaning jobs, subscriptions,
deliveries, usage. Another agency's object is 404, exactly like one that does not
exist (no 403 that would confirm it exists), lists hold only one's own, filters
naming another agency are ignored, and nothing of the owner's changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from app.models.base import utcnow
from tests.cleaning.conftest import upload
from tests.conftest import Registry
from tests.events.conftest import People

pytestmark = pytest.mark.anyio

OWNER = "phusa-bank"  # A
OTHER = "social-insurance-demo"  # B
CIVIL = "civil-registry-demo"


def as_agency(registry: Registry, agency: str, **extra: str) -> dict[str, str]:
    return {"X-API-Key": registry.keys[agency], **extra}


@pytest.fixture
async def owned(
    client: httpx.AsyncClient, registry: Registry, engine: Engine
) -> AsyncIterator[dict[str, Any]]:
    """Agency A's things: a verification (audit, usage), a cleaning job, a subscription
    with one delivery."""
    a = as_agency(registry, OWNER)
    customer = People(engine).add()
    verified = await client.post(
        "/v1/identity/verify",
        json={
            "purpose": "kyc_onboarding",
            "personal_id": customer,
            "claims": {"full_name": "Nguyễn Văn An"},
        },
        headers={**a, "X-Request-ID": "isolation-owner-verify"},
    )
    assert verified.status_code == 200, verified.text
    job = await upload(
        client,
        registry.keys[OWNER],
        f"id_number,full_name\n{customer},Nguyễn Văn An\n",
        sector="bank",
        purpose="kyc_refresh",
    )
    assert job.status_code == 202, job.text
    sub = await client.post(
        "/v1/subscriptions",
        json={
            "url": "http://127.0.0.1:9/hook",
            "purpose": "kyc_refresh",
            "event_types": ["death"],
            "personal_ids": [customer],
        },
        headers=a,
    )
    assert sub.status_code == 201, sub.text
    died = await client.post(
        "/v1/civil/deaths",
        json={"personal_id": customer, "death_date": utcnow().date().isoformat()},
        headers=as_agency(registry, CIVIL, **{"X-Purpose": "civil_status"}),
    )
    assert died.status_code == 201, died.text
    deliveries = await client.get(f"/v1/subscriptions/{sub.json()['id']}/deliveries", headers=a)
    [delivery] = deliveries.json()["deliveries"]
    yield {
        "customer": customer,
        "job": job.json()["id"],
        "subscription": sub.json()["id"],
        "delivery": delivery["id"],
    }
    await client.delete(f"/v1/subscriptions/{sub.json()['id']}", headers=a)


async def test_another_agencys_objects_are_404_like_missing_ones(
    client: httpx.AsyncClient, registry: Registry, owned: dict[str, Any]
) -> None:
    b = as_agency(registry, OTHER)
    own_sub = await client.post(
        "/v1/subscriptions",
        json={
            "url": "http://127.0.0.1:9/b",
            "purpose": "benefit_records",
            "event_types": ["death"],
        },
        headers=b,
    )
    assert own_sub.status_code == 201, own_sub.text
    job, sub, delivery = owned["job"], owned["subscription"], owned["delivery"]
    try:
        cases = [
            ("GET", f"/v1/cleaning/jobs/{job}", "JOB_NOT_FOUND"),
            ("GET", f"/v1/cleaning/jobs/{job}/summary", "JOB_NOT_FOUND"),
            ("GET", f"/v1/cleaning/jobs/{job}/results", "JOB_NOT_FOUND"),
            ("DELETE", f"/v1/cleaning/jobs/{job}", "JOB_NOT_FOUND"),
            ("GET", f"/v1/subscriptions/{sub}", "SUBSCRIPTION_NOT_FOUND"),
            ("GET", f"/v1/subscriptions/{sub}/deliveries", "SUBSCRIPTION_NOT_FOUND"),
            (
                "POST",
                f"/v1/subscriptions/{sub}/deliveries/{delivery}/redeliver",
                "SUBSCRIPTION_NOT_FOUND",
            ),
            # B's own subscription, A's delivery id: still nothing.
            (
                "POST",
                f"/v1/subscriptions/{own_sub.json()['id']}/deliveries/{delivery}/redeliver",
                "DELIVERY_NOT_FOUND",
            ),
            ("DELETE", f"/v1/subscriptions/{sub}", "SUBSCRIPTION_NOT_FOUND"),
        ]
        for method, path, code in cases:
            theirs = await client.request(method, path, headers=b)
            assert theirs.status_code == 404, (method, path, theirs.text)
            assert theirs.json()["code"] == code
            # Exactly what a made-up id gets: the answer tells nothing about existence.
            made_up = path.replace(job, "job_00000000000000000000000000")
            made_up = made_up.replace(sub, "sub_0000000000000000")
            missing = await client.request(method, made_up, headers=b)
            assert (missing.status_code, missing.json()["code"]) == (404, code), made_up
        assert job not in {
            j["id"] for j in (await client.get("/v1/cleaning/jobs", headers=b)).json()["jobs"]
        }
        listed = (await client.get("/v1/subscriptions", headers=b)).json()["subscriptions"]
        assert [s["id"] for s in listed] == [own_sub.json()["id"]]
        # Nothing of A's changed: the job was not cancelled, the subscription not deleted.
        a = as_agency(registry, OWNER)
        assert (await client.get(f"/v1/cleaning/jobs/{job}", headers=a)).json()[
            "state"
        ] != "cancelled"
        still = await client.get(f"/v1/subscriptions/{sub}", headers=a)
        assert still.status_code == 200
        [mine] = (await client.get(f"/v1/subscriptions/{sub}/deliveries", headers=a)).json()[
            "deliveries"
        ]
        assert mine["id"] == delivery
        assert mine["attempts"] == 0
    finally:
        await client.delete(f"/v1/subscriptions/{own_sub.json()['id']}", headers=b)


async def test_audit_records_are_only_ones_own_whatever_the_filters(
    client: httpx.AsyncClient, registry: Registry, owned: dict[str, Any]
) -> None:
    b = as_agency(registry, OTHER)
    for params in [
        {},
        {"agency": OWNER},
        {"request_id": "isolation-owner-verify"},
        {"personal_id": owned["customer"]},
        {"agency": OWNER, "operation": "verify", "limit": "1000"},
    ]:
        response = await client.get("/v1/audit/events", params=params, headers=b)
        assert response.status_code == 200, (params, response.text)
        agencies = {event["agency_code"] for event in response.json()["events"]}
        assert agencies <= {OTHER}, params
    own = await client.get(
        "/v1/audit/events",
        params={"request_id": "isolation-owner-verify"},
        headers=as_agency(registry, OWNER),
    )
    assert {e["agency_code"] for e in own.json()["events"]} == {OWNER}  # it exists, for A


async def test_usage_is_only_ones_own(
    client: httpx.AsyncClient, registry: Registry, owned: dict[str, Any]
) -> None:
    b = as_agency(registry, OTHER)
    response = await client.get("/v1/agencies/me/usage", params={"agency": OWNER}, headers=b)
    assert response.status_code == 200
    assert response.json()["agency_code"] == OTHER
    a_usage = (await client.get("/v1/agencies/me/usage", headers=as_agency(registry, OWNER))).json()
    assert a_usage["agency_code"] == OWNER
    assert a_usage["verifications"] >= 1  # A's verification is counted for A alone
    before = response.json()["verifications"]
    await client.post(
        "/v1/identity/verify",
        json={
            "purpose": "kyc_onboarding",
            "personal_id": owned["customer"],
            "claims": {"full_name": "Nguyễn Văn An"},
        },
        headers=as_agency(registry, OWNER),
    )
    after = (await client.get("/v1/agencies/me/usage", headers=b)).json()["verifications"]
    assert after == before
