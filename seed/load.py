"""Fill a database with the personas and a random population, in batches."""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from app.models import Citizen
from seed.parallel import TABLES, Helpers, draw_batch, plan_batches, split_work
from seed.persona_rows import HISTORY_COLUMNS, persona_rows
from seed.personas import PERSONAS
from seed.rows import Rows
from seed.writers import BulkWriter, open_writer

# Citizens per batch. Batch boundaries are part of what a seed means: the same seed,
# size and batch size give the same rows whatever the machine and the helper count.
BATCH_SIZE = 50_000

Progress = Callable[[int, int], None]  # (citizens written, citizens in total)


class DatabaseNotEmptyError(RuntimeError):
    """The database already holds citizens and replacing them was not asked for."""


@dataclass(frozen=True, slots=True)
class SeedReport:
    citizens: int
    households: int
    identity_cards: int
    personas: int
    seed: int
    seconds: float
    dialect: str
    helpers: int
    phases: dict[str, float]  # seconds per phase of the load
    sector_records: int = 0

    @property
    def citizens_per_second(self) -> float:
        return self.citizens / self.seconds if self.seconds else math.inf


def count_citizens(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(Citizen)).scalar_one())


def batch_sizes(random_citizens: int, batch_size: int = BATCH_SIZE) -> list[int]:
    full, rest = divmod(random_citizens, batch_size)
    return [batch_size] * full + ([rest] if rest else [])


def default_helpers() -> int:
    """One helper process on a machine with two or more cores, else none."""
    return 1 if (os.cpu_count() or 1) >= 2 else 0


def _write(writer: BulkWriter, rows: Rows) -> dict[str, int]:
    counts = {}
    for table, columns in TABLES:
        table_rows = getattr(rows, table)
        writer.write(table, columns, table_rows)
        counts[table] = len(table_rows)
    return counts


def populate(
    engine: Engine,
    *,
    citizens: int,
    seed: int,
    replace: bool = False,
    progress: Progress | None = None,
    helpers: int | None = None,
    batch_size: int = BATCH_SIZE,
) -> SeedReport:
    """Write ``citizens`` citizens (the personas included) drawn from ``seed``.

    The personas come first (ids 1…n); a ``citizens`` smaller than the catalogue still
    writes the whole catalogue. Refuses a database holding citizens unless ``replace``.
    ``helpers`` extra processes draw part of the batches (default: one on multi-core
    machines); the rows do not depend on it.
    """
    if seed < 0:
        raise ValueError("the seed must be a non-negative integer")
    if not replace and count_citizens(engine):
        raise DatabaseNotEmptyError("the database already holds citizens")
    started = time.perf_counter()
    personas = persona_rows()
    batches = plan_batches(
        len(PERSONAS) + 1, batch_sizes(max(citizens - len(PERSONAS), 0), batch_size)
    )
    # On SQLite the main process binds every row of its share (helpers bind into plain
    # scratch tables); on PostgreSQL a thread streams COPY text while it draws on.
    sqlite = engine.dialect.name == "sqlite"
    own, helper_ranges = split_work(
        batches,
        default_helpers() if helpers is None else helpers,
        main_weight=0.4 if sqlite else 1.0,
    )
    total = len(PERSONAS) + sum(batch.size for batch in batches)
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress(done, total)

    def absorb(team: Helpers, writer: BulkWriter, *, block: bool) -> None:
        for size, ready in team.poll(block=block):
            if ready is not None:
                writer.append_ready(ready)
            advance(size)

    counts = {table: 0 for table, _ in TABLES}
    phases: dict[str, float] = {}
    clock = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        phases[name] = round(now - clock, 3)
        clock = now

    with tempfile.TemporaryDirectory(prefix="popreg-seed-") as scratch_dir:
        team = (
            Helpers(
                seed,
                helper_ranges,
                len(batches),
                scratch_dir,
                copy_text=engine.dialect.name != "sqlite",
            )
            if helper_ranges
            else None
        )
        try:
            writer = open_writer(
                engine, replace=replace, scratch=team.scratch_files if team else ()
            )
            try:
                for table, count in _write(writer, personas.rows).items():
                    counts[table] += count
                writer.write("personal_id_history", HISTORY_COLUMNS, personas.personal_id_history)
                advance(len(PERSONAS))
                for batch in own:
                    for table, count in _write(
                        writer, draw_batch(seed, batch, len(batches))
                    ).items():
                        counts[table] += count
                    advance(batch.size)
                    if team:
                        absorb(team, writer, block=False)
                phase("draw_and_load")
                if team:
                    absorb(team, writer, block=True)
                    phase("wait_for_helpers")
                    for table, count in team.counts.items():
                        counts[table] += count
                writer.finish()
                phase("indexes_and_commit")
            except BaseException:
                writer.abort()
                raise
        finally:
            if team:
                team.stop()
    return SeedReport(
        citizens=total,
        households=counts["household"],
        identity_cards=counts["identity_card"],
        personas=len(PERSONAS),
        seed=seed,
        seconds=time.perf_counter() - started,
        dialect=engine.dialect.name,
        helpers=len(helper_ranges),
        phases=phases,
        sector_records=counts["sector_record"],
    )


def ensure_registry(url: str, citizens: int, seed: int = 1) -> None:
    """A migrated database at ``url`` with ``citizens`` citizens (if it has none yet) and
    the demo agencies: what benchmarks and demos start from."""
    from app.agencies.demo import ensure_demo_agencies
    from app.config import Settings
    from app.db import Database
    from app.schema import upgrade

    upgrade(url)
    database = Database(Settings(database_url=url))
    try:
        if count_citizens(database.engine) == 0:
            print(f"seeding {citizens:,} citizens …", flush=True)
            populate(database.engine, citizens=citizens, seed=seed)
        with database.session_factory.begin() as session:
            ensure_demo_agencies(session)
    finally:
        database.dispose()
