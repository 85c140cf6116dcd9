"""The lookup fast path answers exactly as the FastAPI route does."""

import httpx
import pytest

from tests.conftest import Registry

pytestmark = pytest.mark.anyio

CASES = [
    ("phusa-bank", "kyc_onboarding", "head"),
    ("civil-registry-demo", "civil_status", "head"),
    ("phusa-bank", "kyc_onboarding", "unknown"),
    ("phusa-bank", "nope", "head"),
    ("phusa-bank", None, "head"),
    ("saomai-telecom", "subscriber_verification", "head"),
    ("phusa-bank", "contact_update", "head"),
]


def comparable(response: httpx.Response) -> tuple[int, str, object]:
    body = response.json()
    if isinstance(body, dict):
        body.pop("request_id", None)
    return response.status_code, response.headers["content-type"], body


@pytest.mark.parametrize(("agency", "purpose", "who"), CASES)
async def test_first_call_and_cached_call_agree(
    client: httpx.AsyncClient, registry: Registry, agency: str, purpose: str | None, who: str
) -> None:
    personal_id = getattr(registry, who)
    headers = {"X-API-Key": registry.keys[agency]}
    if purpose:
        headers["X-Purpose"] = purpose
    # A fresh app has an empty credential cache: the first call takes the FastAPI
    # route (and fills the cache), the second the fast path.
    first = await client.get(f"/v1/citizens/{personal_id}", headers=headers)
    second = await client.get(f"/v1/citizens/{personal_id}", headers=headers)
    assert comparable(first) == comparable(second)
    assert second.headers["x-request-id"]


async def test_malformed_id_agrees_too(client: httpx.AsyncClient, registry: Registry) -> None:
    headers = {"X-API-Key": registry.keys["phusa-bank"], "X-Purpose": "kyc_onboarding"}
    first = await client.get("/v1/citizens/12345", headers=headers)
    second = await client.get("/v1/citizens/12345", headers=headers)
    assert comparable(first) == comparable(second)
    assert first.status_code == 422


@pytest.mark.parametrize(
    ("personal_id", "purpose"),
    [("079085000103", "kyc_onboarding_" + "x" * 26), ("0" * 33, "kyc_onboarding")],
    ids=["purpose-over-40", "id-over-32"],
)
async def test_values_over_the_route_limits_get_its_422(
    client: httpx.AsyncClient, registry: Registry, personal_id: str, purpose: str
) -> None:
    # Found by contract fuzzing: on PostgreSQL the fast path's refusal of a 41-character
    # purpose could not be audited (a 40-character column) and answered 503.
    headers = {"X-API-Key": registry.keys["phusa-bank"], "X-Purpose": purpose}
    first = await client.get(f"/v1/citizens/{personal_id}", headers=headers)
    second = await client.get(f"/v1/citizens/{personal_id}", headers=headers)
    assert comparable(first) == comparable(second)
    assert second.json()["code"] == "VALIDATION_FAILED"
