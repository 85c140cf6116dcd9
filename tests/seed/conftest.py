"""A registry seeded once per backend (50,000 citizens) in a database of its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.config import Settings
from app.db import build_engine
from app.schema import upgrade
from seed import SeedReport, content_hash, populate
from tests.databases import create_postgres_database, drop_postgres_database, postgres_server_url

SEEDED_CITIZENS = 50_000
SEED = 20_261_122


@dataclass(frozen=True)
class Seeded:
    url: str
    engine: Engine
    report: SeedReport
    hash: str


class ScratchDatabases:
    """Fresh databases for seeding: SQLite files, or PostgreSQL databases dropped at the end."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.created: list[str] = []

    def new(self, backend: str) -> str:
        name = f"popreg_seed_{uuid.uuid4().hex[:10]}"
        if backend == "sqlite":
            return f"sqlite:///{self.directory / name}.db"
        try:
            url = create_postgres_database(postgres_server_url(), name)
        except SQLAlchemyError as exc:
            pytest.skip(f"PostgreSQL not reachable ({type(exc).__name__})")
        self.created.append(name)
        return url

    def drop_all(self) -> None:
        for name in self.created:
            drop_postgres_database(postgres_server_url(), name)


@pytest.fixture(scope="session")
def scratch_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScratchDatabases]:
    databases = ScratchDatabases(tmp_path_factory.mktemp("seed"))
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def seed_engines() -> Iterator[list[Engine]]:
    engines: list[Engine] = []
    yield engines
    for engine in engines:
        engine.dispose()


def seed_database(
    scratch: ScratchDatabases,
    engines: list[Engine],
    backend: str,
    *,
    citizens: int,
    seed: int,
    **options: int,
) -> Seeded:
    url = scratch.new(backend)
    upgrade(url)
    engine = build_engine(Settings(database_url=url))
    engines.append(engine)
    report = populate(engine, citizens=citizens, seed=seed, **options)
    return Seeded(url=url, engine=engine, report=report, hash=content_hash(engine))


_seeded: dict[str, Seeded] = {}


def seeded_registry(request: pytest.FixtureRequest, backend: str) -> Seeded:
    """The 50,000-citizen registry of a backend, seeded on first use."""
    if backend not in _seeded:
        scratch = request.getfixturevalue("scratch_databases")
        engines = request.getfixturevalue("seed_engines")
        _seeded[backend] = seed_database(
            scratch, engines, backend, citizens=SEEDED_CITIZENS, seed=SEED
        )
    return _seeded[backend]


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def seeded(request: pytest.FixtureRequest) -> Seeded:
    return seeded_registry(request, request.param)
