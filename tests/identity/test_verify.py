"""Per-field verification, single and batch, against the committed test registry."""

from typing import Any

import httpx
import pytest

from tests.conftest import Registry

pytestmark = pytest.mark.anyio


async def verify(
    client: httpx.AsyncClient, registry: Registry, agency: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        "/v1/identity/verify", json=body, headers={"X-API-Key": registry.keys[agency]}
    )


TELECOM = "saomai-telecom"
SUBSCRIBERS = "subscriber_verification"


async def test_exact_claims_match(client: httpx.AsyncClient, registry: Registry) -> None:
    response = await verify(
        client,
        registry,
        TELECOM,
        {
            "purpose": SUBSCRIBERS,
            "personal_id": registry.head,
            "claims": {
                "full_name": "Trần Minh Khôi",
                "birth_date": "1985-09-02",
                "phone": "+84 903 123 456",
            },
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["decision"] == "match"
    assert body["fields_checked"] == 4
    assert {k: v["reason"] for k, v in body["fields"].items()} == {
        "personal_id": "exact",
        "full_name": "exact",
        "birth_date": "exact",
        "phone": "format",
    }


async def test_legacy_data_gets_reasons_and_no_registered_values(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    response = await verify(
        client,
        registry,
        TELECOM,
        {
            "purpose": SUBSCRIBERS,
            "personal_id": registry.head,
            "claims": {"full_name": "TRAN MINH KHOI", "birth_date": "09/02/1985"},
        },
    )
    body = response.json()
    assert body["decision"] == "mismatch"
    assert body["fields"]["full_name"]["verdict"] == "match"
    assert body["fields"]["full_name"]["reason"] == "diacritics"
    assert body["fields"]["birth_date"] == {
        "verdict": "mismatch",
        "score": 90,
        "reason": "day_month_swapped",
    }
    # The telecom may verify but not read: the registry's value is never sent.
    assert "registered" not in body["fields"]["birth_date"]
    assert "1985-09-02" not in response.text


async def test_a_reading_purpose_sees_the_registered_value_of_a_mismatch(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    response = await verify(
        client,
        registry,
        "phusa-bank",
        {
            "purpose": "kyc_onboarding",
            "personal_id": registry.head,
            "claims": {"birth_date": "1985-02-09"},
        },
    )
    assert response.json()["fields"]["birth_date"]["registered"] == "1985-09-02"


async def test_mistyped_id_is_resolved_by_the_claims(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    typo = registry.head[:5] + "9" + registry.head[6:]  # one digit of the birth year
    response = await verify(
        client,
        registry,
        TELECOM,
        {
            "purpose": SUBSCRIBERS,
            "personal_id": typo,
            "claims": {"full_name": "Trần Minh Khôi", "birth_date": "1985-09-02"},
        },
    )
    body = response.json()
    assert body["fields"]["personal_id"]["reason"] == "wrong_digit"
    assert body["decision"] == "mismatch"
    assert body["fields"]["full_name"]["reason"] == "exact"


async def test_old_cmnd_shared_by_two_is_told_apart_by_the_claims(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    response = await verify(
        client,
        registry,
        "social-insurance-demo",
        {
            "purpose": "benefit_records",
            "personal_id": registry.shared_legacy_id,
            "claims": {"full_name": "Phạm Thị Thu Hà", "birth_date": "24/12/1987"},
        },
    )
    body = response.json()
    assert body["fields"]["personal_id"]["reason"] == "legacy_id"
    assert body["decision"] == "match"
    ambiguous = await verify(
        client,
        registry,
        "social-insurance-demo",
        {
            "purpose": "benefit_records",
            "personal_id": registry.shared_legacy_id,
            "claims": {},
        },
    )
    assert ambiguous.status_code == 404
    assert ambiguous.json()["reason"] == "ambiguous_legacy_id"


async def test_deceased_citizen_never_verifies(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    response = await verify(
        client,
        registry,
        "phusa-bank",
        {
            "purpose": "kyc_onboarding",
            "personal_id": registry.deceased,
            "claims": {"full_name": "Lê Thị Hoa", "birth_date": "1958-07-07"},
        },
    )
    body = response.json()
    assert body["decision"] == "mismatch"
    assert body["reason"] == "deceased"
    assert all(f["verdict"] == "match" for f in body["fields"].values())


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"personal_id": "079085000103"}, 400, "PURPOSE_REQUIRED"),
        (
            {"purpose": SUBSCRIBERS, "personal_id": "079085000103", "claims": {"sex": "male"}},
            403,
            "FIELD_NOT_ALLOWED",
        ),
        (
            {"purpose": SUBSCRIBERS, "personal_id": "079085000103", "claims": {"shoe_size": "42"}},
            422,
            "VALIDATION_FAILED",
        ),
        ({"purpose": SUBSCRIBERS, "personal_id": "12ab"}, 422, "INVALID_ID_FORMAT"),
        (
            {
                "purpose": SUBSCRIBERS,
                "personal_id": "079085999999",
                "claims": {"full_name": "Ai Đó"},
            },
            404,
            "CITIZEN_NOT_FOUND",
        ),
    ],
)
async def test_verify_errors(
    client: httpx.AsyncClient, registry: Registry, body: dict[str, Any], status: int, code: str
) -> None:
    response = await verify(client, registry, TELECOM, body)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code


async def test_header_purpose_works_and_verify_only_purpose_may_not_look_up(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    response = await client.post(
        "/v1/identity/verify",
        json={"personal_id": registry.head, "claims": {"full_name": "Trần Minh Khôi"}},
        headers={"X-API-Key": registry.keys[TELECOM], "X-Purpose": SUBSCRIBERS},
    )
    assert response.json()["decision"] == "match"


async def test_batch_keeps_order_and_classifies_each_record(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    claims = {"full_name": "Trần Minh Khôi", "birth_date": "1985-09-02"}
    records = [
        {"ref": "a", "personal_id": registry.head, "claims": claims},
        {"ref": "b", "personal_id": "079085999999", "claims": claims},
        {"ref": "c", "personal_id": "not-an-id", "claims": claims},
        {"ref": "d", "personal_id": registry.spouse, "claims": claims},
    ]
    response = await client.post(
        "/v1/identity/verify/batch",
        json={"purpose": SUBSCRIBERS, "records": records},
        headers={"X-API-Key": registry.keys[TELECOM]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(r["ref"], r["decision"]) for r in body["results"]] == [
        ("a", "match"),
        ("b", "not_found"),
        ("c", "invalid"),
        ("d", "mismatch"),
    ]
    assert body["summary"] == {
        "total": 4,
        "match": 1,
        "mismatch": 1,
        "not_found": 1,
        "invalid": 1,
        "refused": 0,
        "fields_checked": 6,
    }


async def test_batch_over_1000_records_is_422(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    records = [{"personal_id": registry.head}] * 1001
    response = await client.post(
        "/v1/identity/verify/batch",
        json={"purpose": SUBSCRIBERS, "records": records},
        headers={"X-API-Key": registry.keys[TELECOM]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.records"
