"""Rendering sector fields for many citizens: one query for the records of a whole page."""

from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.db import Database, RawSession
from app.identity import repository
from app.identity.documents import render, render_many
from app.identity.fields import columns_for
from app.identity.provinces import PROVINCES
from app.models.enums import CitizenField as F
from tests.records.conftest import INSURANCE, LICENSING, People, headers, health_card, licence

pytestmark = pytest.mark.anyio
FIELDS = (F.PERSONAL_ID, F.DRIVING_LICENCE, F.HEALTH_INSURANCE, F.VACCINATIONS)


class CountingSession:
    """A RawSession that counts the statements it runs."""

    def __init__(self, session: RawSession) -> None:
        self.session = session
        self.statements: list[str] = []

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        self.statements.append(sql)
        return self.session.all(sql, params)

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        self.statements.append(sql)
        return self.session.one(sql, params)


async def test_render_many_reads_the_records_of_a_page_at_once(
    committing_client: httpx.AsyncClient, people: People, settings: Settings
) -> None:
    persons = [people.add() for _ in range(3)]
    for person in persons[:2]:
        await committing_client.put(
            f"/v1/citizens/{person.personal_id}/records/driving_licence",
            json=licence(person),
            headers=headers(LICENSING),
        )
    await committing_client.put(
        f"/v1/citizens/{persons[0].personal_id}/records/health_insurance",
        json=health_card(persons[0]),
        headers=headers(INSURANCE),
    )
    database = Database(settings)
    try:
        with database.reader.session() as raw:
            rows = repository.citizens_by_keys(
                raw, "personal_id", [p.personal_id for p in persons], columns_for(FIELDS)
            )
            rows.sort(key=lambda row: str(row["personal_id"]))
            counting = CountingSession(raw)
            documents = render_many(counting, rows, FIELDS, PROVINCES)  # type: ignore[arg-type]
            one_by_one = [render(raw, row, FIELDS, PROVINCES) for row in rows]
    finally:
        database.dispose()
    assert len(counting.statements) == 1
    assert documents == one_by_one
    first, second, third = documents
    assert first["health_insurance"]["number"] == health_card(persons[0])["number"]
    assert second["health_insurance"] is None
    assert [d["driving_licence"] is not None for d in documents] == [True, True, False]
    assert first["vaccinations"] == third["vaccinations"] == []
