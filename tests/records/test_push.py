"""Pushing one record: versions, idempotency, and every refusal with its code."""

from datetime import date

import httpx
import pytest

from tests.records.conftest import (
    HOSPITAL_CHECKIN,
    INSURANCE,
    LICENSING,
    TRAFFIC_POLICE,
    VEHICLES,
    People,
    headers,
    health_card,
    licence,
    vehicle,
)

pytestmark = pytest.mark.anyio


def url(personal_id: str, kind: str) -> str:
    return f"/v1/citizens/{personal_id}/records/{kind}"


async def test_a_new_record_then_the_same_again_then_a_change(
    committing_client: httpx.AsyncClient, people: People
) -> None:
    client = committing_client
    person = people.add()
    first = await client.put(
        url(person.personal_id, "driving_licence"), json=licence(person), headers=headers(LICENSING)
    )
    assert first.status_code == 201, first.text
    created = first.json()
    assert (created["result"], created["version"]) == ("created", 1)
    assert created["record"]["data"] == {"classes": ["A1", "B"], "issued_by": "Sở GTVT TP Cần Thơ"}
    assert created["record"]["source_agency"] == "transport-licensing-demo"
    assert created["record"]["source_agency_name"] == "Sở Giao thông Vận tải Tỉnh Demo (demo)"

    again = await client.put(
        url(person.personal_id, "driving_licence"), json=licence(person), headers=headers(LICENSING)
    )
    assert again.status_code == 200
    assert (again.json()["result"], again.json()["version"]) == ("unchanged", 1)

    upgraded = licence(
        person, data={"classes": ["C1", "A1", "B"], "issued_by": "Sở GTVT TP Cần Thơ"}
    )
    changed = await client.put(
        url(person.personal_id, "driving_licence"), json=upgraded, headers=headers(LICENSING)
    )
    assert changed.status_code == 200
    body = changed.json()
    assert (body["result"], body["version"]) == ("updated", 2)
    assert body["changed_fields"] == ["data.classes"]
    assert body["record"]["data"]["classes"] == ["A1", "B", "C1"]  # in the law's order


async def test_a_single_valued_kind_is_replaced_by_a_new_number(
    committing_client: httpx.AsyncClient, people: People
) -> None:
    person = people.add()
    path = url(person.personal_id, "driving_licence")
    await committing_client.put(path, json=licence(person), headers=headers(LICENSING))
    renewed = licence(person, number="920000000001", valid_from="2026-11-01")
    answer = (await committing_client.put(path, json=renewed, headers=headers(LICENSING))).json()
    assert (answer["result"], answer["version"]) == ("updated", 2)
    assert answer["changed_fields"] == ["number", "valid_from"]


async def test_vehicles_are_keyed_by_their_number(
    committing_client: httpx.AsyncClient, people: People, registry: object
) -> None:
    client = committing_client
    person = people.add()
    path = url(person.personal_id, "vehicle_registration")
    bike = await client.put(
        path, json=vehicle(person, "0923456", "65-B1 123.45"), headers=headers(VEHICLES)
    )
    car = await client.put(
        path,
        json=vehicle(
            person,
            "0923457",
            "65a-678.90",
            data={"plate": "65a-678.90", "vehicle_type": "car", "make": "Toyota", "year": 2021},
        ),
        headers=headers(VEHICLES),
    )
    assert (bike.status_code, car.status_code) == (201, 201)
    assert car.json()["record"]["data"]["plate"] == "65A-678.90"
    repainted = vehicle(person, "0923456", "65-B1 123.45")
    repainted["data"]["colour"] = "Đỏ"
    again = await client.put(path, json=repainted, headers=headers(VEHICLES))
    assert (again.json()["result"], again.json()["version"]) == ("updated", 2)

    seen = await client.get(f"/v1/citizens/{person.personal_id}", headers=headers(TRAFFIC_POLICE))
    plates = [v["data"]["plate"] for v in seen.json()["vehicle_registrations"]]
    assert sorted(plates) == ["65-B1 123.45", "65A-678.90"]


async def test_a_purpose_without_the_kinds_field_is_refused(
    committing_client: httpx.AsyncClient, people: People
) -> None:
    person = people.add()
    refused = await committing_client.put(
        url(person.personal_id, "health_insurance"),
        json=health_card(person),
        headers=headers(LICENSING),
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "KIND_NOT_ALLOWED"


async def test_a_purpose_without_enrich_is_refused(
    committing_client: httpx.AsyncClient, people: People
) -> None:
    person = people.add()
    refused = await committing_client.put(
        url(person.personal_id, "driving_licence"),
        json=licence(person),
        headers=headers(TRAFFIC_POLICE),
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "OPERATION_NOT_ALLOWED"


async def test_unknown_and_dead_citizens_are_refused(
    committing_client: httpx.AsyncClient, people: People
) -> None:
    client = committing_client
    dead = people.add(death_date=date(2024, 2, 2))
    answer = await client.put(
        url(dead.personal_id, "driving_licence"), json=licence(dead), headers=headers(LICENSING)
    )
    assert (answer.status_code, answer.json()["code"]) == (409, "CITIZEN_DECEASED")
    nobody = await client.put(
        url("092090999999", "driving_licence"), json=licence(dead), headers=headers(LICENSING)
    )
    assert (nobody.status_code, nobody.json()["code"]) == (404, "CITIZEN_NOT_FOUND")
    malformed = await client.put(
        url("09209099999", "driving_licence"), json=licence(dead), headers=headers(LICENSING)
    )
    assert (malformed.status_code, malformed.json()["code"]) == (422, "INVALID_ID_FORMAT")


@pytest.mark.parametrize(
    ("holder", "accepted"),
    [
        ({"full_name": "DANG QUOC VIET"}, True),  # no accents, capitals
        ({"full_name": "Việt Đặng Quốc"}, True),  # word order
        ({"birth_date": "17/05/1990"}, True),  # Vietnamese notation
        ({"full_name": "dang quoc viet"}, True),
        ({"full_name": "Đặng Quốc Viêt"}, False),  # one tone mark off: a typo, as verification
        ({"full_name": "Đặng Quốc Viện"}, False),  # a typo is another person
        ({"birth_date": "1990-05-18"}, False),
        ({"birth_date": "18/05/1990", "full_name": "Đặng Văn Việt"}, False),
    ],
)
async def test_the_holder_must_agree_with_the_registry(
    committing_client: httpx.AsyncClient, people: People, holder: dict[str, str], accepted: bool
) -> None:
    person = people.add()
    answer = await committing_client.put(
        url(person.personal_id, "driving_licence"),
        json=licence(person, holder=person.holder(**holder)),
        headers=headers(LICENSING),
    )
    if accepted:
        assert answer.status_code == 201, answer.text
    else:
        assert (answer.status_code, answer.json()["code"]) == (422, "HOLDER_MISMATCH")
        assert set(answer.json()["fields"]) <= {"full_name", "birth_date"}


async def test_a_record_that_breaks_its_kinds_rules_names_each_problem(
    committing_client: httpx.AsyncClient, people: People
) -> None:
    person = people.add()
    bad = licence(
        person,
        number="79-0123",
        valid_from="2020-01-01",
        valid_until="2019-01-01",
        data={"classes": ["A1", "Z"], "issued_by": "Sở GTVT", "colour": "red"},
    )
    answer = await committing_client.put(
        url(person.personal_id, "driving_licence"), json=bad, headers=headers(LICENSING)
    )
    assert (answer.status_code, answer.json()["code"]) == (422, "INVALID_RECORD")
    fields = {error["field"] for error in answer.json()["errors"]}
    assert fields == {"number", "valid_until", "data.classes.1", "data.colour"}


async def test_an_unknown_kind_is_a_validation_failure(
    committing_client: httpx.AsyncClient, people: People
) -> None:
    person = people.add()
    answer = await committing_client.put(
        url(person.personal_id, "passport"), json=licence(person), headers=headers(LICENSING)
    )
    assert (answer.status_code, answer.json()["code"]) == (422, "VALIDATION_FAILED")


async def test_the_hospital_reads_the_health_insurance_record_at_check_in(
    committing_client: httpx.AsyncClient, people: People
) -> None:
    client = committing_client
    person = people.add()
    pushed = await client.put(
        url(person.personal_id, "health_insurance"),
        json=health_card(person),
        headers=headers(INSURANCE),
    )
    assert pushed.status_code == 201, pushed.text
    await client.put(
        url(person.personal_id, "driving_licence"), json=licence(person), headers=headers(LICENSING)
    )
    # The first call goes through the FastAPI route, the second through the fast path.
    first = await client.get(
        f"/v1/citizens/{person.personal_id}", headers=headers(HOSPITAL_CHECKIN)
    )
    second = await client.get(
        f"/v1/citizens/{person.personal_id}", headers=headers(HOSPITAL_CHECKIN)
    )
    assert first.json() == second.json()
    card = first.json()["health_insurance"]
    assert (card["number"], card["status"]) == (f"DN492{person.personal_id[-10:]}", "valid")
    assert (card["valid_from"], card["valid_until"]) == ("2026-01-01", "2026-12-31")
    assert card["source_agency_name"] == "Bảo hiểm Xã hội Tỉnh Demo"
    assert "driving_licence" not in first.json()


async def test_a_citizen_without_records_reads_as_null_and_empty(
    committing_client: httpx.AsyncClient, people: People
) -> None:
    person = people.add()
    seen = await committing_client.get(
        f"/v1/citizens/{person.personal_id}", headers=headers(TRAFFIC_POLICE)
    )
    assert seen.json()["driving_licence"] is None
    assert seen.json()["vehicle_registrations"] == []
