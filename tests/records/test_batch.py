"""Batches: one answer per record, accepted ones written even when others are refused."""

from datetime import date
from typing import Any

import httpx
import pytest

from app.records.schemas import MAX_BATCH
from tests.records.conftest import (
    INSURANCE,
    LICENSING,
    TRAFFIC_POLICE,
    People,
    headers,
    health_card,
    licence,
)

pytestmark = pytest.mark.anyio
BATCH = "/v1/records:batch"


def item(personal_id: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"personal_id": personal_id, "kind": kind, **body}


async def test_each_record_is_answered_on_its_own(
    committing_client: httpx.AsyncClient, people: People
) -> None:
    client = committing_client
    good, twice, wrong_name = (people.add() for _ in range(3))
    dead = people.add(death_date=date(2023, 3, 3))
    records = [
        item(good.personal_id, "driving_licence", licence(good)),
        item(twice.personal_id, "driving_licence", licence(twice)),
        item("092090999998", "driving_licence", licence(good)),
        item(dead.personal_id, "driving_licence", licence(dead)),
        item(
            wrong_name.personal_id,
            "driving_licence",
            licence(wrong_name, holder=wrong_name.holder(full_name="Nguyễn Văn Nam")),
        ),
        item(good.personal_id, "health_insurance", health_card(good)),
        item(good.personal_id, "driving_licence", licence(good, number="12")),
        {"personal_id": good.personal_id, "kind": "passport", "number": "B1234567"},
        "not a record",
        item("0920", "driving_licence", licence(good)),
        # The same licence twice in one batch: the second finds the first.
        item(twice.personal_id, "driving_licence", licence(twice)),
    ]
    answer = await client.post(BATCH, json={"records": records}, headers=headers(LICENSING))
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["index"] for r in results] == list(range(len(records)))
    assert [(r["status"], r["reason"] or r["result"]) for r in results] == [
        ("accepted", "created"),
        ("accepted", "created"),
        ("refused", "CITIZEN_NOT_FOUND"),
        ("refused", "CITIZEN_DECEASED"),
        ("refused", "HOLDER_MISMATCH"),
        ("refused", "KIND_NOT_ALLOWED"),
        ("refused", "INVALID_RECORD"),
        ("refused", "INVALID_RECORD"),
        ("refused", "INVALID_RECORD"),
        ("refused", "INVALID_ID_FORMAT"),
        ("accepted", "unchanged"),
    ]
    assert results[7]["kind"] == "passport"
    assert {e["field"] for e in results[7]["errors"]} >= {"kind", "holder", "data"}
    assert results[8]["personal_id"] is None
    assert answer.json()["summary"] == {
        "total": 11,
        "accepted": 3,
        "refused": 8,
        "created": 2,
        "updated": 0,
        "unchanged": 1,
    }
    # What was accepted is there, what was refused is not.
    for person, has_licence in ((good, True), (twice, True), (wrong_name, False)):
        seen = await client.get(
            f"/v1/citizens/{person.personal_id}", headers=headers(TRAFFIC_POLICE)
        )
        assert (seen.json()["driving_licence"] is not None) is has_licence


async def test_every_item_is_audited_and_the_citizen_sees_a_refused_push(
    committing_client: httpx.AsyncClient, people: People
) -> None:
    client = committing_client
    person = people.add()
    records = [
        item(person.personal_id, "health_insurance", health_card(person)),
        item(
            person.personal_id,
            "social_insurance",
            {
                "holder": person.holder(full_name="Đặng Quốc Vinh"),
                "number": f"92{person.personal_id[-8:]}",
                "data": {"participation": "voluntary", "contribution_months": 14},
            },
        ),
    ]
    answer = await client.post(BATCH, json={"records": records}, headers=headers(INSURANCE))
    assert [r["status"] for r in answer.json()["results"]] == ["accepted", "refused"]
    login = await client.post(
        "/v1/citizen/login", json={"personal_id": person.personal_id, "code": "123456"}
    )
    citizen = {"Authorization": f"Bearer {login.json()['access_token']}"}
    log = (await client.get("/v1/me/access-log", headers=citizen)).json()["records"]
    assert [(r["operation"], r["outcome"], r["fields"]) for r in log] == [
        ("enrich", "invalid", []),
        ("enrich", "recorded", ["health_insurance"]),
    ]
    assert log[0]["summary"] == (
        "Bảo hiểm Xã hội Tỉnh Demo sent a record about you and it was refused (holder mismatch)."
    )


async def test_a_batch_over_the_maximum_is_refused_whole(
    committing_client: httpx.AsyncClient, people: People
) -> None:
    person = people.add()
    records = [item(person.personal_id, "driving_licence", licence(person))] * (MAX_BATCH + 1)
    answer = await committing_client.post(
        BATCH, json={"records": records}, headers=headers(LICENSING)
    )
    assert (answer.status_code, answer.json()["code"]) == (422, "VALIDATION_FAILED")
    seen = await committing_client.get(
        f"/v1/citizens/{person.personal_id}", headers=headers(TRAFFIC_POLICE)
    )
    assert seen.json()["driving_licence"] is None


async def test_a_batch_needs_enrich(committing_client: httpx.AsyncClient, people: People) -> None:
    person = people.add()
    records = [item(person.personal_id, "driving_licence", licence(person))]
    answer = await committing_client.post(
        BATCH, json={"records": records}, headers=headers(TRAFFIC_POLICE)
    )
    assert (answer.status_code, answer.json()["code"]) == (403, "OPERATION_NOT_ALLOWED")


async def test_a_record_created_and_changed_in_one_batch_has_both_versions(
    committing_client: httpx.AsyncClient, people: People
) -> None:
    client = committing_client
    person = people.add()
    renewed = licence(person, valid_from="2026-01-05", status="valid")
    records = [
        item(person.personal_id, "driving_licence", licence(person)),
        item(person.personal_id, "driving_licence", renewed),
        item(person.personal_id, "driving_licence", renewed),
    ]
    answer = await client.post(BATCH, json={"records": records}, headers=headers(LICENSING))
    assert [(r["result"], r["version"]) for r in answer.json()["results"]] == [
        ("created", 1),
        ("updated", 2),
        ("unchanged", 2),
    ]
    history = await client.get(
        f"/v1/citizens/{person.personal_id}/records/driving_licence/history",
        headers=headers(LICENSING),
    )
    versions = history.json()["versions"]
    assert [(v["version"], v["changed_fields"]) for v in versions] == [
        (2, ["valid_from"]),
        (1, ["number", "status", "valid_from", "valid_until", "data"]),
    ]
