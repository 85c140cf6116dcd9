"""Startup: the server refuses a database that is behind, and says how to fix it."""

from pathlib import Path

import pytest

from app.config import Settings
from app.main import create_app
from app.schema import SchemaOutOfDateError

pytestmark = pytest.mark.anyio


async def test_startup_refuses_an_empty_database(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/empty.db"))
    with pytest.raises(SchemaOutOfDateError, match="run `popreg db upgrade`"):
        async with app.router.lifespan_context(app):
            pass


async def test_startup_refuses_a_database_behind_head(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The code is one revision ahead of the (otherwise fine) database.
    monkeypatch.setattr("app.schema.head_revision", lambda: "9999_newer")
    app = create_app(Settings(database_url=database_url))
    with pytest.raises(SchemaOutOfDateError, match=r"needs 9999_newer; run `popreg db upgrade`"):
        async with app.router.lifespan_context(app):
            pass


async def test_startup_succeeds_on_a_migrated_database(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url))
    async with app.router.lifespan_context(app):
        assert app.state.database.dialect in {"sqlite", "postgresql"}
