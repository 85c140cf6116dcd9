"""The citizen's wallet: the card in use, then every sector record with its source."""

from datetime import date

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.citizen.wallet import card_document
from app.models import CardKind, Citizen, IdentityCard
from tests.conftest import Registry
from tests.records.conftest import INSURANCE, VEHICLES, People, headers, health_card, vehicle

pytestmark = pytest.mark.anyio


@pytest.fixture
def people(engine: Engine, registry: Registry) -> People:
    return People(engine)


async def sign_in(client: httpx.AsyncClient, personal_id: str) -> dict[str, str]:
    response = await client.post(
        "/v1/citizen/login", json={"personal_id": personal_id, "code": "123456"}
    )
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_the_wallet_lists_the_card_then_the_records(
    committing_client: httpx.AsyncClient, people: People, engine: Engine
) -> None:
    client = committing_client
    person = people.add()
    with Session(engine) as session, session.begin():
        citizen_id = session.query(Citizen.id).filter_by(personal_id=person.personal_id).scalar()
        session.add_all(
            [
                IdentityCard(
                    citizen_id=citizen_id,
                    number="311456789",
                    kind=CardKind.CMND,
                    issued_on=date(2006, 5, 1),
                    issued_by="Công an tỉnh Cần Thơ",
                ),
                IdentityCard(
                    citizen_id=citizen_id,
                    number=person.personal_id,
                    kind=CardKind.CCCD_CHIP,
                    issued_on=date(2021, 6, 1),
                    issued_by="Cục Cảnh sát QLHC về TTXH",
                    expires_on=date(2030, 5, 17),
                    has_chip=True,
                ),
            ]
        )
    for plate, number in (("65-B1 111.11", "0921111"), ("65-C1 222.22", "0922222")):
        pushed = await client.put(
            f"/v1/citizens/{person.personal_id}/records/vehicle_registration",
            json=vehicle(person, number, plate),
            headers=headers(VEHICLES),
        )
        assert pushed.status_code == 201, pushed.text
    await client.put(
        f"/v1/citizens/{person.personal_id}/records/health_insurance",
        json=health_card(person),
        headers=headers(INSURANCE),
    )

    wallet = await client.get("/v1/me/documents", headers=await sign_in(client, person.personal_id))
    assert wallet.status_code == 200, wallet.text
    documents = wallet.json()["documents"]
    assert [d["kind"] for d in documents] == [
        "identity_card",
        "health_insurance",
        "vehicle_registration",
        "vehicle_registration",
    ]
    card, insurance = documents[0], documents[1]
    assert card["title"] == "Căn cước công dân gắn chip / Chip-based citizen identity card"
    assert (card["number"], card["status"], card["valid_until"]) == (
        person.personal_id,
        "valid",
        "2030-05-17",
    )
    assert card["source_agency_name"] == "Cục Cảnh sát QLHC về TTXH"
    assert insurance["title"] == "Thẻ bảo hiểm y tế / Health-insurance card"
    assert insurance["source_agency"] == "social-insurance-demo"
    assert insurance["source_agency_name"] == "Bảo hiểm Xã hội Tỉnh Demo"
    assert insurance["updated_at"].endswith("Z")
    assert {d["data"]["plate"] for d in documents[2:]} == {"65-B1 111.11", "65-C1 222.22"}
    assert all(d["title"].endswith("/ Vehicle registration") for d in documents[2:])


async def test_a_citizen_without_records_sees_only_the_card(
    committing_client: httpx.AsyncClient, registry: Registry
) -> None:
    client = committing_client
    wallet = await client.get("/v1/me/documents", headers=await sign_in(client, registry.head))
    assert [d["kind"] for d in wallet.json()["documents"]] == ["identity_card"]
    # The head's chip card expired on 2025-09-02.
    assert wallet.json()["documents"][0]["status"] == "expired"


async def test_the_wallet_needs_a_citizen_token(committing_client: httpx.AsyncClient) -> None:
    answer = await committing_client.get("/v1/me/documents")
    assert (answer.status_code, answer.json()["code"]) == (401, "UNAUTHENTICATED")


def test_a_9_digit_card_lapsed_at_the_end_of_2024() -> None:
    cmnd = {
        "number": "311456789",
        "kind": "cmnd",
        "issued_on": "2015-01-01",
        "issued_by": "Công an tỉnh Cần Thơ",
        "expires_on": None,
        "has_chip": False,
    }
    assert card_document(cmnd, date(2024, 12, 31))["status"] == "valid"
    assert card_document(cmnd, date(2025, 1, 1))["status"] == "expired"
