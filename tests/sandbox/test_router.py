"""GET /v1/sandbox/personas."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.config import Settings
from app.main import create_app
from seed.persona_rows import persona_rows
from seed.personas import PERSONAS
from tests.seed.conftest import Seeded, seeded_registry


@pytest.fixture
async def seeded_client(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    seeded: Seeded = seeded_registry(request, "sqlite")
    app = create_app(Settings(database_url=seeded.url, access_log=False))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as client:
            yield client


@pytest.mark.anyio
async def test_lists_every_persona_with_its_number_and_purpose(
    seeded_client: httpx.AsyncClient,
) -> None:
    response = await seeded_client.get("/v1/sandbox/personas")
    assert response.status_code == 200
    personas = response.json()["personas"]
    expected_ids = [row[1] for row in persona_rows().rows.citizen]
    assert [p["key"] for p in personas] == [p.key for p in PERSONAS]
    assert [p["personal_id"] for p in personas] == expected_ids
    deceased = next(p for p in personas if p["key"] == "deceased")
    assert "deceased" in deceased["tags"]
    assert deceased["purpose"]


@pytest.mark.anyio
async def test_a_registry_without_personas_lists_none_rather_than_strangers(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/sandbox/personas")
    assert response.status_code == 200
    names = {p.full_name for p in PERSONAS}
    assert all(p["full_name"] in names for p in response.json()["personas"])


@pytest.mark.anyio
async def test_the_endpoint_is_documented(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/v1/sandbox/personas"]["get"]
    assert operation["tags"] == ["sandbox"]
    assert "test identities" in operation["description"]
