"""The change feed: cursors, the types and fields a purpose may follow, long polls, audit."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.citizen.test_router import sign_in
from tests.events.conftest import BANK, CIVIL, Civil, People, key, today

pytestmark = pytest.mark.anyio

BANK_FEED = {"X-API-Key": key(BANK), "X-Purpose": "kyc_refresh"}
CIVIL_FEED = {"X-API-Key": key(CIVIL), "X-Purpose": "civil_status"}


async def latest(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await client.get("/v1/events", params={"after": "latest"}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["events"] == []
    return str(response.json()["next_cursor"])


async def read(
    client: httpx.AsyncClient, headers: dict[str, str], after: str, **params: object
) -> dict[str, object]:
    response = await client.get("/v1/events", params={"after": after, **params}, headers=headers)
    assert response.status_code == 200, response.text
    page: dict[str, object] = response.json()
    return page


async def test_a_bank_sees_a_death_with_only_the_fields_its_purpose_reads(
    client: httpx.AsyncClient, civil: Civil, people: People
) -> None:
    cursor = await latest(client, BANK_FEED)
    someone = people.add()
    await civil("deaths", {"personal_id": someone, "death_date": today()})
    page = await read(client, BANK_FEED, cursor, types="death")
    events = [e for e in page["events"] if e["personal_id"] == someone]  # type: ignore[attr-defined]
    assert len(events) == 1
    (event,) = events
    # kyc_refresh reads vital_status, not death_date
    assert event["changes"] == {"vital_status": "deceased"}
    assert event["previous"] == {"vital_status": "alive"}
    assert int(event["cursor"]) > int(cursor)
    full = await read(client, CIVIL_FEED, cursor, types="death")
    (mine,) = [e for e in full["events"] if e["personal_id"] == someone]  # type: ignore[attr-defined]
    assert mine["changes"] == {"vital_status": "deceased", "death_date": today()}


async def test_the_bank_follows_only_the_types_its_fields_tell(
    client: httpx.AsyncClient, people: People
) -> None:
    page = await read(client, BANK_FEED, "latest")
    assert page["followed_types"] == ["death", "name_change", "id_correction"]
    moves = await client.get("/v1/events", params={"types": "residence_change"}, headers=BANK_FEED)
    assert moves.status_code == 403
    assert moves.json()["code"] == "EVENT_TYPE_NOT_ALLOWED"
    assert "death" in moves.json()["detail"]


@pytest.mark.parametrize(
    ("params", "headers", "status", "code"),
    [
        ({"types": "deaths"}, BANK_FEED, 422, "UNKNOWN_EVENT_TYPE"),
        ({"after": "abc"}, BANK_FEED, 422, "INVALID_CURSOR"),
        ({"after": "-1"}, BANK_FEED, 422, "INVALID_CURSOR"),
        ({"limit": "0"}, BANK_FEED, 422, "VALIDATION_FAILED"),
        ({}, {**BANK_FEED, "X-Purpose": "kyc_onboarding"}, 403, "OPERATION_NOT_ALLOWED"),
        ({}, {"X-API-Key": key(BANK)}, 400, "PURPOSE_REQUIRED"),
        ({}, {}, 401, "UNAUTHENTICATED"),
    ],
)
async def test_bad_feed_requests_get_a_clear_problem(
    client: httpx.AsyncClient,
    people: People,
    params: dict[str, str],
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    response = await client.get("/v1/events", params=params, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def test_pages_follow_the_cursor_without_gaps_or_repeats(
    client: httpx.AsyncClient, civil: Civil, people: People
) -> None:
    cursor = await latest(client, CIVIL_FEED)
    someone = people.add()
    for n in range(5):
        response = await civil(
            "name-changes",
            {"personal_id": someone, "full_name": f"Nguyễn Văn Số {n}", "changed_on": today()},
        )
        assert response.status_code == 201
    seen: list[int] = []
    after = cursor
    while True:
        page = await read(client, CIVIL_FEED, after, types="name_change", limit=2)
        seen += [e["id"] for e in page["events"] if e["personal_id"] == someone]  # type: ignore[attr-defined]
        after = str(page["next_cursor"])
        if not page["has_more"]:
            break
    assert len(seen) == 5
    assert seen == sorted(seen)
    none = await read(client, CIVIL_FEED, after, types="death")
    assert none["events"] == []


async def test_a_long_poll_answers_as_soon_as_an_event_is_recorded(
    client: httpx.AsyncClient, civil: Civil, people: People
) -> None:
    someone = people.add()
    cursor = await latest(client, CIVIL_FEED)
    started = time.monotonic()
    waiting = asyncio.create_task(read(client, CIVIL_FEED, cursor, types="death", wait=10))
    await asyncio.sleep(0.3)
    await civil("deaths", {"personal_id": someone, "death_date": today()})
    page = await waiting
    assert [e["personal_id"] for e in page["events"]] == [someone]  # type: ignore[attr-defined]
    assert time.monotonic() - started < 5


async def test_each_event_read_is_in_the_citizens_data_tracker(
    client: httpx.AsyncClient, civil: Civil, people: People
) -> None:
    someone = people.add()
    cursor = await latest(client, BANK_FEED)
    await civil("deaths", {"personal_id": someone, "death_date": today()})
    await read(client, BANK_FEED, cursor, types="death")
    # The deceased cannot sign in; their record is still audited like anyone's.
    records = (
        await client.get(
            "/v1/audit/events",
            params={"personal_id": someone, "operation": "event_feed"},
            headers={"X-API-Key": key(BANK)},
        )
    ).json()["events"]
    assert [(r["agency_code"], r["purpose"], r["fields"]) for r in records] == [
        (BANK, "kyc_refresh", ["personal_id", "vital_status"])
    ]


async def test_a_living_citizen_sees_who_followed_their_move(
    client: httpx.AsyncClient, civil: Civil, people: People
) -> None:
    someone = people.add()
    cursor = await latest(client, CIVIL_FEED)
    await civil(
        "residence-changes",
        {
            "personal_id": someone,
            "kind": "current",
            "street": "Số 9 đường Hùng Vương",
            "ward_code": "00004",
            "moved_on": today(),
        },
    )
    await read(client, CIVIL_FEED, cursor, types="residence_change")
    citizen = await sign_in(client, someone)
    log = (await client.get("/v1/me/access-log", headers=citizen)).json()["records"]
    texts = [r["summary"] for r in log]
    assert any("recorded your change of residence" in t for t in texts), texts
    assert any("through the change feed" in t for t in texts), texts


async def test_a_purpose_that_needs_consent_sees_only_consenting_citizens(
    committing_client: httpx.AsyncClient, people: People
) -> None:
    client = committing_client
    admin = {"Authorization": "Bearer sandbox-admin-token"}
    code = f"consent-bank-{people.add()[-6:]}"
    created = await client.post(
        "/v1/admin/agencies",
        headers=admin,
        json={
            "code": code,
            "name": "Consent Bank (test)",
            "sector": "bank",
            "purposes": {
                "estate_notice": {
                    "description": "Hear of the death of customers who agreed to it",
                    "operations": ["subscribe"],
                    "fields": ["personal_id", "vital_status", "death_date"],
                    "consent_required": True,
                }
            },
        },
    )
    assert created.status_code == 201, created.text
    feed = {"X-API-Key": created.json()["api_key"]["api_key"], "X-Purpose": "estate_notice"}
    agreed, silent = people.add(), people.add()
    citizen = await sign_in(client, agreed)
    granted = await client.post(
        "/v1/me/consents", json={"agency": code, "purpose": "estate_notice"}, headers=citizen
    )
    assert granted.status_code == 201, granted.text
    cursor = await latest(client, feed)
    civil_headers = {"X-API-Key": key(CIVIL), "X-Purpose": "civil_status"}
    for someone in (silent, agreed):
        response = await client.post(
            "/v1/civil/deaths",
            json={"personal_id": someone, "death_date": today()},
            headers=civil_headers,
        )
        assert response.status_code == 201, response.text
    page = await read(client, feed, cursor)
    assert [e["personal_id"] for e in page["events"]] == [agreed]  # type: ignore[attr-defined]
    assert int(str(page["next_cursor"])) > int(cursor)


async def test_a_purpose_sees_no_event_it_could_read_nothing_of(
    client: httpx.AsyncClient, civil: Civil, people: People
) -> None:
    insurance = {"X-API-Key": key("social-insurance-demo"), "X-Purpose": "benefit_records"}
    someone = people.add()
    cursor = await latest(client, insurance)
    for kind in ("current", "permanent"):
        response = await civil(
            "residence-changes",
            {
                "personal_id": someone,
                "kind": kind,
                "street": "Số 2 đường Nguyễn Huệ",
                "legacy_ward_code": "00004",
                "moved_on": today(),
            },
        )
        assert response.status_code == 201, response.text
    page = await read(client, insurance, cursor, types="residence_change")
    mine = [e for e in page["events"] if e["personal_id"] == someone]  # type: ignore[attr-defined]
    # It reads the permanent address only: the move of the current address is not its to see.
    assert [list(e["changes"]) for e in mine] == [["permanent_address"]]
