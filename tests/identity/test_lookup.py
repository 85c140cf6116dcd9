"""Lookups return exactly the fields of the purpose, and refuse with the right code."""

import httpx
import pytest

from app.agencies.demo import DEMO_AGENCIES
from tests.conftest import Registry

pytestmark = pytest.mark.anyio


def headers(registry: Registry, agency: str, purpose: str | None) -> dict[str, str]:
    result = {"X-API-Key": registry.keys[agency]}
    if purpose is not None:
        result["X-Purpose"] = purpose
    return result


LOOKUP_PURPOSES = [
    (spec.code, purpose_code, sorted(f.value for f in purpose.fields))
    for spec in DEMO_AGENCIES
    for purpose_code, purpose in spec.purposes.items()
    if "lookup" in purpose.operations and not purpose.consent_required
]


@pytest.mark.parametrize(("agency", "purpose", "fields"), LOOKUP_PURPOSES)
async def test_each_demo_purpose_gets_exactly_its_fields(
    client: httpx.AsyncClient, registry: Registry, agency: str, purpose: str, fields: list[str]
) -> None:
    response = await client.get(
        f"/v1/citizens/{registry.head}", headers=headers(registry, agency, purpose)
    )
    assert response.status_code == 200, response.text
    assert sorted(response.json()) == fields


async def test_bank_kyc_document_has_values_in_documented_shapes(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    response = await client.get(
        f"/v1/citizens/{registry.head}", headers=headers(registry, "phusa-bank", "kyc_onboarding")
    )
    document = response.json()
    assert document["full_name"] == "Trần Minh Khôi"
    assert document["birth_date"] == "1985-09-02"
    assert document["vital_status"] == "alive"
    assert document["cards"] == [
        {
            "number": registry.head,
            "kind": "cccd_chip",
            "issued_on": "2021-04-01",
            "issued_by": "Cục Cảnh sát QLHC về TTXH",
            "expires_on": "2025-09-02",
            "has_chip": True,
        }
    ]
    assert "phone" not in document
    assert "legacy_id" not in document


async def test_civil_registry_reads_family_links(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    response = await client.get(
        f"/v1/citizens/{registry.head}",
        headers=headers(registry, "civil-registry-demo", "civil_status"),
    )
    document = response.json()
    assert document["father"] == {
        "personal_id": registry.father,
        "full_name": "Trần Văn Đức",
        "nationality": "Việt Nam",
    }
    assert document["mother"]["personal_id"] == registry.deceased
    assert document["spouse"]["personal_id"] == registry.spouse
    assert [c["personal_id"] for c in document["children"]] == [registry.child]
    assert document["guardian"] is None
    assert document["household"] == {
        "household_number": "079000000042",
        "relationship_to_head": "Chủ hộ",
    }
    assert document["birth_registration_province"] == {"code": "079", "name": "TP Hồ Chí Minh"}
    assert document["marital_status"] == "married"


async def test_deceased_and_year_only_citizens(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    auth = headers(registry, "social-insurance-demo", "benefit_records")
    dead = (await client.get(f"/v1/citizens/{registry.deceased}", headers=auth)).json()
    assert dead["vital_status"] == "deceased"
    assert dead["death_date"] == "2020-05-01"
    old = (await client.get(f"/v1/citizens/{registry.year_only}", headers=auth)).json()
    assert old["birth_date"] == "1935"


@pytest.mark.parametrize(
    ("agency", "purpose", "status", "code"),
    [
        ("saomai-telecom", "subscriber_verification", 403, "OPERATION_NOT_ALLOWED"),
        ("saomai-telecom", "kyc_onboarding", 403, "PURPOSE_NOT_ALLOWED"),
        ("phusa-bank", None, 400, "PURPOSE_REQUIRED"),
        ("phusa-bank", "contact_update", 403, "CONSENT_REQUIRED"),
    ],
)
async def test_refusals_carry_their_code(
    client: httpx.AsyncClient,
    registry: Registry,
    agency: str,
    purpose: str | None,
    status: int,
    code: str,
) -> None:
    response = await client.get(
        f"/v1/citizens/{registry.head}", headers=headers(registry, agency, purpose)
    )
    assert response.status_code == status
    assert response.json()["code"] == code


async def test_refusal_does_not_reveal_whether_the_citizen_exists(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    auth = headers(registry, "saomai-telecom", "subscriber_verification")
    known = await client.get(f"/v1/citizens/{registry.head}", headers=auth)
    unknown = await client.get(f"/v1/citizens/{registry.unknown}", headers=auth)
    assert known.status_code == unknown.status_code == 403
    assert known.json()["detail"] == unknown.json()["detail"]


async def test_unknown_citizen_is_404(client: httpx.AsyncClient, registry: Registry) -> None:
    response = await client.get(
        f"/v1/citizens/{registry.unknown}",
        headers=headers(registry, "phusa-bank", "kyc_onboarding"),
    )
    assert response.status_code == 404
    assert response.json()["code"] == "CITIZEN_NOT_FOUND"


@pytest.mark.parametrize(
    ("personal_id", "reason"),
    [
        ("07908500010", "length"),
        ("07908500010x", "non_digit"),
        ("003085000103", "unknown_province"),
    ],
)
async def test_malformed_id_is_422_explaining_the_structure(
    client: httpx.AsyncClient, registry: Registry, personal_id: str, reason: str
) -> None:
    response = await client.get(
        f"/v1/citizens/{personal_id}", headers=headers(registry, "phusa-bank", "kyc_onboarding")
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "INVALID_ID_FORMAT"
    assert body["reason"] == reason
    assert "12 digits" in body["detail"]


async def test_legacy_id_shared_by_two_is_flagged_ambiguous(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    response = await client.get(
        f"/v1/citizens/by-legacy-id/{registry.shared_legacy_id}",
        headers=headers(registry, "social-insurance-demo", "benefit_records"),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["ambiguous"] is True
    assert sorted(c["personal_id"] for c in body["citizens"]) == [registry.head, registry.spouse]


@pytest.mark.parametrize(("legacy_id", "status"), [("12345678", 422), ("999999999", 404)])
async def test_legacy_id_errors(
    client: httpx.AsyncClient, registry: Registry, legacy_id: str, status: int
) -> None:
    response = await client.get(
        f"/v1/citizens/by-legacy-id/{legacy_id}",
        headers=headers(registry, "social-insurance-demo", "benefit_records"),
    )
    assert response.status_code == status
