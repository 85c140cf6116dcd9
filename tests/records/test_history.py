"""Version history: who changed what, when, for agencies that may push or read the kind."""

from datetime import UTC, date, datetime

import httpx
import pytest
from sqlalchemy import Engine, insert, select

from app.models import Citizen, RecordKind, RecordStatus, SectorRecord
from tests.records.conftest import (
    HOSPITAL_CHECKIN,
    LICENSING,
    TRAFFIC_POLICE,
    People,
    headers,
    licence,
)

pytestmark = pytest.mark.anyio


async def test_history_lists_every_version_newest_first(
    committing_client: httpx.AsyncClient, people: People
) -> None:
    client = committing_client
    person = people.add()
    path = f"/v1/citizens/{person.personal_id}/records/driving_licence"
    first = await client.put(path, json=licence(person), headers=headers(LICENSING))
    await client.put(path, json=licence(person), headers=headers(LICENSING))  # unchanged
    suspended = await client.put(
        path,
        json=licence(person, status="suspended"),
        headers={**headers(LICENSING), "X-Request-ID": "suspension-0001"},
    )
    assert suspended.json()["version"] == 2

    for reader in (LICENSING, TRAFFIC_POLICE):
        history = await client.get(f"{path}/history", headers=headers(reader))
        assert history.status_code == 200, history.text
        versions = history.json()["versions"]
        assert [v["version"] for v in versions] == [2, 1]
        latest, original = versions
        assert latest["changed_fields"] == ["status"]
        assert latest["snapshot"]["status"] == "suspended"
        assert latest["request_id"] == "suspension-0001"
        assert latest["agency"] == "transport-licensing-demo"
        assert latest["agency_name"] == "Sở Giao thông Vận tải Tỉnh Demo (demo)"
        assert original["changed_fields"] == [
            "number",
            "status",
            "valid_from",
            "valid_until",
            "data",
        ]
        assert original["snapshot"] == {
            "number": licence(person)["number"],
            "status": "valid",
            "valid_from": "2019-06-14",
            "valid_until": None,
            "data": {"classes": ["A1", "B"], "issued_by": "Sở GTVT TP Cần Thơ"},
        }
        assert original["changed_at"] == first.json()["record"]["updated_at"]


async def test_history_needs_the_kinds_field(
    committing_client: httpx.AsyncClient, people: People
) -> None:
    person = people.add()
    refused = await committing_client.get(
        f"/v1/citizens/{person.personal_id}/records/driving_licence/history",
        headers=headers(HOSPITAL_CHECKIN),
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "KIND_NOT_ALLOWED")
    unknown = await committing_client.get(
        "/v1/citizens/092090999997/records/driving_licence/history",
        headers=headers(TRAFFIC_POLICE),
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "CITIZEN_NOT_FOUND")


async def test_a_seeded_record_keeps_its_first_version_when_it_changes(
    committing_client: httpx.AsyncClient, people: People, engine: Engine
) -> None:
    """Seeded records have no version row (seed/records.py); history shows their state as
    version 1, and their first change writes it down before version 2."""
    client = committing_client
    person = people.add()
    seeded = licence(person)
    with engine.begin() as connection:
        citizen_id = connection.execute(
            select(Citizen.id).where(Citizen.personal_id == person.personal_id)
        ).scalar_one()
        connection.execute(
            insert(SectorRecord).values(
                citizen_id=citizen_id,
                kind=RecordKind.DRIVING_LICENCE,
                key="",
                number=seeded["number"],
                status=RecordStatus.VALID,
                valid_from=date(2019, 6, 14),
                data=seeded["data"],
                agency_code="transport-licensing-demo",
                version=1,
                created_at=datetime(2022, 5, 4, 3, 2, 1, tzinfo=UTC),
                updated_at=datetime(2022, 5, 4, 3, 2, 1, tzinfo=UTC),
            )
        )
    path = f"/v1/citizens/{person.personal_id}/records/driving_licence"
    before = (await client.get(f"{path}/history", headers=headers(LICENSING))).json()["versions"]
    assert [(v["version"], v["changed_at"], v["request_id"]) for v in before] == [
        (1, "2022-05-04T03:02:01Z", None)
    ]
    same = await client.put(path, json=seeded, headers=headers(LICENSING))
    assert same.json()["result"] == "unchanged"
    changed = await client.put(
        path, json=licence(person, status="revoked"), headers=headers(LICENSING)
    )
    assert (changed.json()["result"], changed.json()["version"]) == ("updated", 2)
    after = (await client.get(f"{path}/history", headers=headers(LICENSING))).json()["versions"]
    assert [v["version"] for v in after] == [2, 1]
    assert after[1] == before[0]
    assert after[0]["changed_fields"] == ["status"]
