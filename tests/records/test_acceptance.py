"""Issue #11 acceptance: a traffic-police agency sees a citizen's driving licence pushed by the
licensing agency, and nothing else; the citizen's wallet and access log show both events
(the push and the read)."""

import httpx
import pytest

from tests.records.conftest import (
    INSURANCE,
    LICENSING,
    TRAFFIC_POLICE,
    VACCINES,
    People,
    headers,
    health_card,
    licence,
)

pytestmark = pytest.mark.anyio


async def test_traffic_police_see_the_pushed_licence_and_the_citizen_sees_both_events(
    committing_client: httpx.AsyncClient, people: People
) -> None:
    client = committing_client
    person = people.add()
    pid = person.personal_id

    # The licensing agency pushes the licence; other agencies push other records.
    pushed = await client.put(
        f"/v1/citizens/{pid}/records/driving_licence",
        json=licence(person),
        headers=headers(LICENSING),
    )
    assert pushed.status_code == 201, pushed.text
    other = await client.put(
        f"/v1/citizens/{pid}/records/health_insurance",
        json=health_card(person),
        headers=headers(INSURANCE),
    )
    assert other.status_code == 201, other.text
    dose = {
        "holder": person.holder(),
        "number": f"VX-092-2021-{pid[-7:]}",
        "valid_from": "2021-08-30",
        "data": {
            "vaccine": "Comirnaty (Pfizer-BioNTech)",
            "disease": "COVID-19",
            "dose": 1,
            "facility": "Trạm Y tế Phường An Hòa",
        },
    }
    vaccinated = await client.put(
        f"/v1/citizens/{pid}/records/vaccination", json=dose, headers=headers(VACCINES)
    )
    assert vaccinated.status_code == 201, vaccinated.text

    # The traffic police read: the licence as pushed, the identity fields, nothing else.
    read = await client.get(f"/v1/citizens/{pid}", headers=headers(TRAFFIC_POLICE))
    assert read.status_code == 200, read.text
    document = read.json()
    assert sorted(document) == sorted(
        [
            "personal_id",
            "full_name",
            "birth_date",
            "sex",
            "driving_licence",
            "vehicle_registrations",
        ]
    )
    assert document["vehicle_registrations"] == []
    seen = document["driving_licence"]
    assert seen["number"] == licence(person)["number"]
    assert seen["data"] == {"classes": ["A1", "B"], "issued_by": "Sở GTVT TP Cần Thơ"}
    assert seen["source_agency"] == "transport-licensing-demo"
    assert "health_insurance" not in document
    assert "vaccinations" not in document

    # The citizen signs in: the wallet lists the licence from its source agency …
    login = await client.post("/v1/citizen/login", json={"personal_id": pid, "code": "123456"})
    citizen = {"Authorization": f"Bearer {login.json()['access_token']}"}
    wallet = (await client.get("/v1/me/documents", headers=citizen)).json()
    in_wallet = {d["kind"]: d for d in wallet["documents"]}
    assert in_wallet["driving_licence"]["title"] == "Giấy phép lái xe / Driving licence"
    assert in_wallet["driving_licence"]["number"] == seen["number"]
    assert in_wallet["driving_licence"]["source_agency_name"] == (
        "Sở Giao thông Vận tải Tỉnh Demo (demo)"
    )
    assert in_wallet["driving_licence"]["updated_at"] == seen["updated_at"]

    # … and the access log shows the push and the read, newest first.
    log = (await client.get("/v1/me/access-log", headers=citizen)).json()["records"]
    about_licence = [r for r in log if "driving_licence" in r["fields"]]
    assert [(r["agency"], r["operation"], r["outcome"]) for r in about_licence] == [
        ("traffic-police-demo", "lookup", "disclosed"),
        ("transport-licensing-demo", "enrich", "recorded"),
    ]
    read_entry, push_entry = about_licence
    assert read_entry["summary"] == (
        "Phòng Cảnh sát giao thông Công an Tỉnh Demo (demo) read your personal ID number, "
        "full name, date of birth, sex, driving licence and vehicle registrations for “Check a "
        "driver's identity, licence and vehicles at a roadside stop”."
    )
    assert push_entry["summary"] == (
        "Sở Giao thông Vận tải Tỉnh Demo (demo) recorded your driving licence in the registry, "
        "for “Link the driving licences it issues to their holders' personal IDs”."
    )
