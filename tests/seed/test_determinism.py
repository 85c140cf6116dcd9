"""Same seed, same rows: on both databases, with or without helper processes."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.conftest import BACKENDS
from tests.seed.conftest import ScratchDatabases, Seeded, seed_database, seeded_registry


def test_same_seed_gives_the_same_content_hash_on_sqlite_and_postgresql(
    request: pytest.FixtureRequest,
) -> None:
    sqlite = seeded_registry(request, "sqlite")
    postgresql = seeded_registry(request, "postgresql")
    assert sqlite.hash == postgresql.hash
    assert sqlite.report.households == postgresql.report.households


def test_same_seed_same_hash_other_seed_other_hash(
    scratch_databases: ScratchDatabases, seed_engines: list[Engine]
) -> None:
    first = seed_database(scratch_databases, seed_engines, "sqlite", citizens=3_000, seed=7)
    again = seed_database(scratch_databases, seed_engines, "sqlite", citizens=3_000, seed=7)
    other = seed_database(scratch_databases, seed_engines, "sqlite", citizens=3_000, seed=8)
    assert first.hash == again.hash
    assert first.hash != other.hash


@pytest.mark.parametrize("backend", BACKENDS)
def test_helper_processes_do_not_change_the_rows(
    backend: str, scratch_databases: ScratchDatabases, seed_engines: list[Engine]
) -> None:
    options = {"citizens": 1_000, "seed": 3, "batch_size": 200}
    alone = seed_database(scratch_databases, seed_engines, "sqlite", helpers=0, **options)
    helped = seed_database(scratch_databases, seed_engines, backend, helpers=1, **options)
    assert helped.report.helpers == 1
    assert helped.report.citizens == 1_000
    assert alone.hash == helped.hash


def test_personas_do_not_depend_on_seed_or_size(
    seeded: Seeded, scratch_databases: ScratchDatabases, seed_engines: list[Engine]
) -> None:
    from sqlalchemy import select

    from app.models import Citizen
    from seed.personas import PERSONAS

    small = seed_database(scratch_databases, seed_engines, "sqlite", citizens=10, seed=99)
    statement = (
        select(Citizen.personal_id, Citizen.legacy_id, Citizen.phone)
        .where(Citizen.id <= len(PERSONAS))
        .order_by(Citizen.id)
    )
    with small.engine.connect() as a, seeded.engine.connect() as b:
        assert a.execute(statement).all() == b.execute(statement).all()
    assert small.report.citizens == len(PERSONAS)
