from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from app.config import Settings
from app.db import build_engine


def test_sqlite_engine_creates_its_directory_and_applies_pragmas(tmp_path: Path) -> None:
    database = tmp_path / "nested" / "dir" / "popreg.db"
    engine = build_engine(Settings(database_url=f"sqlite:///{database}"))
    try:
        with engine.connect() as connection:
            journal = connection.execute(text("PRAGMA journal_mode")).scalar_one()
            foreign_keys = connection.execute(text("PRAGMA foreign_keys")).scalar_one()
            synchronous = connection.execute(text("PRAGMA synchronous")).scalar_one()
            busy_timeout = connection.execute(text("PRAGMA busy_timeout")).scalar_one()
    finally:
        engine.dispose()
    assert database.parent.is_dir()
    assert journal == "wal"
    assert foreign_keys == 1
    assert synchronous == 1  # NORMAL
    assert busy_timeout == 5000


def test_error_messages_hide_sql_parameters(engine: Engine) -> None:
    # PostgreSQL may still quote the failing row in its own DETAIL text, which
    # is why logs never carry exception messages (see tests/test_logs.py).
    with engine.connect() as connection, pytest.raises(Exception) as caught:
        connection.execute(
            text("INSERT INTO agency (code, name, sector) VALUES (:code, :name, :sector)"),
            {"code": "x", "name": "Nguyễn Văn Bí Mật", "sector": "not-a-sector"},
        )
    assert "SQL parameters hidden" in str(caught.value)


@pytest.mark.postgres
def test_postgres_engine_uses_a_bounded_pool(postgres_url: str) -> None:
    engine = build_engine(Settings(database_url=postgres_url, db_pool_size=3, db_max_overflow=2))
    try:
        assert engine.pool.size() == 3  # type: ignore[attr-defined]
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()
