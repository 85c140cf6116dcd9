from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from app import __version__
from app.config import Settings
from app.main import create_app
from app.schema import head_revision

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as client:
            yield client
    finally:
        app.state.database.dispose()


async def test_healthz_answers_without_touching_the_database(tmp_path: Path) -> None:
    # A database path that cannot exist: liveness must not care.
    settings = Settings(database_url=f"sqlite:///{tmp_path}/missing/dir/x.db")
    async with client_for(settings) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


async def test_readyz_is_200_on_a_migrated_database(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["schema_revision"] == head_revision()
    assert body["database"] == ("sqlite" if settings.is_sqlite else "postgresql")


async def test_readyz_is_503_on_an_unmigrated_database(tmp_path: Path) -> None:
    async with client_for(Settings(database_url=f"sqlite:///{tmp_path}/empty.db")) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "SCHEMA_OUT_OF_DATE"
    assert "popreg db upgrade" in body["detail"]


@pytest.mark.postgres
async def test_readyz_is_503_with_retry_after_when_the_database_is_down() -> None:
    # Nothing listens on port 1: the connection is refused at once.
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:1/none")
    async with client_for(settings) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["code"] == "DATABASE_UNAVAILABLE"
    assert response.headers["retry-after"] == "5"
