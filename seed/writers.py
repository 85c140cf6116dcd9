"""Bulk loaders: SQLite ``executemany`` and PostgreSQL ``COPY``, inside one transaction.

Secondary indexes (and on PostgreSQL the foreign keys and unique constraints) are
dropped for the load and rebuilt from ``Base.metadata`` at the end: building an index
once over sorted keys is much cheaper than a million random B-tree inserts, and
PostgreSQL validates a re-added foreign key with one join instead of a trigger per
row. A failure rolls everything back, DDL included.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, cast

from sqlalchemy import Engine, ForeignKeyConstraint, Index, Table, UniqueConstraint
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint

import app.models  # noqa: F401 - registers every table on the metadata
from app.db import SQLITE_PRAGMAS
from app.models.base import Base
from seed.parallel import TABLES as COPY_TABLES
from seed.parallel import copy_text

# Parents before children, so that "DELETE" and "TRUNCATE" work in reverse.
SEEDED_TABLES = (
    "household",
    "citizen",
    "identity_card",
    "personal_id_history",
    "sector_record",
    "sector_record_version",
)


def seeded_tables() -> list[Table]:
    return [Base.metadata.tables[name] for name in SEEDED_TABLES]


class BulkWriter(Protocol):
    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None: ...

    def append_ready(self, path: str) -> None:
        """Append what a helper finished: a COPY folder or a scratch SQLite file."""

    def finish(self) -> None: ...

    def abort(self) -> None: ...


def _indexes() -> list[Index]:
    return [
        index
        for table in seeded_tables()
        for index in sorted(table.indexes, key=lambda i: str(i.name))
    ]


class SqliteWriter:
    """Loads through the raw ``sqlite3`` connection with large ``executemany`` batches."""

    def __init__(self, engine: Engine, *, replace: bool, scratch: Sequence[str] = ()) -> None:
        self._engine = engine
        self._raw = engine.raw_connection()
        self._db = cast(Any, self._raw.driver_connection)
        # Manual transaction control: BEGIN/COMMIT below are the only ones.
        self._saved_isolation = self._db.isolation_level
        self._db.isolation_level = None
        self._journal_mode = self._db.execute("PRAGMA journal_mode").fetchone()[0]
        self._closed = False
        if replace:
            # Emptied first, with foreign keys still on so that rows of other tables
            # pointing at citizens cascade or are unlinked as their keys say.
            self._db.execute("BEGIN")
            for table in reversed(SEEDED_TABLES):
                self._db.execute(f"DELETE FROM main.{table}")  # noqa: S608 - fixed table names
            self._db.execute("COMMIT")
        # Foreign keys cannot be switched inside a transaction; the generator makes
        # consistent links, and the tests check them with PRAGMA foreign_key_check.
        self._db.execute("PRAGMA foreign_keys = OFF")
        self._db.execute("PRAGMA main.synchronous = OFF")
        self._db.execute("PRAGMA main.cache_size = -131072")
        # Mapped pages count towards the process's resident memory; plain reads do not.
        self._db.execute("PRAGMA mmap_size = 0")
        # Pages appended to a file in rollback-journal mode are not journalled, so a
        # load into an empty database writes each page once instead of twice (WAL
        # then checkpoint). Another open connection keeps WAL; the load still works.
        with contextlib.suppress(sqlite3.OperationalError):
            self._db.execute("PRAGMA main.journal_mode = DELETE")
        # Helpers' scratch files are attached now (ATTACH is refused inside a
        # transaction) and read only once the helpers are done: a deferred BEGIN
        # locks each file at its first use, so helpers can write until then.
        self._scratch = {path: f"scratch{number}" for number, path in enumerate(scratch)}
        for path, name in self._scratch.items():
            self._db.execute(f"ATTACH DATABASE ? AS {name}", (path,))
        self._db.execute("BEGIN")
        self._indexes = _indexes()
        for index in self._indexes:
            self._db.execute(f'DROP INDEX IF EXISTS "{index.name}"')
        self._statements: dict[str, str] = {}

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        statement = self._statements.get(table)
        if statement is None:
            statement = (
                f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - fixed names
                f"VALUES ({', '.join('?' * len(columns))})"
            )
            self._statements[table] = statement
        self._db.executemany(statement, rows)

    def append_ready(self, path: str) -> None:
        name = self._scratch[path]
        for table, columns in COPY_TABLES:
            names = ", ".join(columns)
            self._db.execute(
                f"INSERT INTO main.{table} ({names}) SELECT {names} FROM {name}.{table}"  # noqa: S608
            )

    def finish(self) -> None:
        try:
            for index in self._indexes:
                self._db.execute(str(CreateIndex(index).compile(dialect=self._engine.dialect)))
            self._db.execute("COMMIT")
        except BaseException:
            self.abort()
            raise
        self._restore()

    def abort(self) -> None:
        if self._closed:
            return
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        self._restore()

    def _restore(self) -> None:
        self._closed = True
        for name in self._scratch.values():
            self._db.execute(f"DETACH DATABASE {name}")
        self._db.execute(f"PRAGMA main.journal_mode = {self._journal_mode}")
        self._db.execute(f"PRAGMA main.synchronous = {SQLITE_PRAGMAS['synchronous']}")
        self._db.execute(f"PRAGMA main.cache_size = {SQLITE_PRAGMAS['cache_size']}")
        self._db.execute(f"PRAGMA mmap_size = {SQLITE_PRAGMAS['mmap_size']}")
        self._db.execute(f"PRAGMA foreign_keys = {SQLITE_PRAGMAS['foreign_keys']}")
        self._db.isolation_level = self._saved_isolation
        self._raw.close()


class PostgresWriter:
    """Loads with ``COPY … FROM STDIN`` through psycopg 3."""

    def __init__(self, engine: Engine, *, replace: bool) -> None:
        self._engine = engine
        self._closed = False
        self._raw = engine.raw_connection()
        self._db = cast(Any, self._raw.driver_connection)
        self._cursor = self._db.cursor()
        self._cursor.execute("SET LOCAL synchronous_commit = off")
        self._cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        # Timestamps are written as UTC wall-clock text, as SQLAlchemy stores them on SQLite.
        self._cursor.execute("SET LOCAL TIME ZONE 'UTC'")
        if replace:
            # CASCADE also empties tables that point at citizens (their rows would be orphans).
            self._cursor.execute(f"TRUNCATE {', '.join(SEEDED_TABLES)} RESTART IDENTITY CASCADE")
        self._constraints: list[ForeignKeyConstraint | UniqueConstraint] = []
        for table in seeded_tables():
            self._constraints += [
                c for c in table.constraints if isinstance(c, ForeignKeyConstraint)
            ]
        for table in seeded_tables():
            self._constraints += [c for c in table.constraints if isinstance(c, UniqueConstraint)]
        self._indexes = _indexes()
        for constraint in self._constraints:
            self._execute(DropConstraint(constraint, if_exists=True))
        for index in self._indexes:
            self._cursor.execute(f'DROP INDEX IF EXISTS "{index.name}"')
        self._failure: BaseException | None = None
        self._queue: queue.Queue[tuple[str, Sequence[str], str | Path] | None] = queue.Queue(4)
        self._thread = threading.Thread(target=self._copier, name="popreg-copy", daemon=True)
        self._thread.start()

    def _execute(self, ddl: Any) -> None:
        self._cursor.execute(str(ddl.compile(dialect=self._engine.dialect)))

    # COPY runs in a thread: while PostgreSQL ingests one batch, the main thread
    # draws the next (psycopg releases the GIL while it waits on the socket).
    def _copier(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._failure is not None:
                continue
            table, columns, payload = item
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            try:
                with self._cursor.copy(statement) as copy:
                    if isinstance(payload, str):
                        copy.write(payload)
                    else:
                        with payload.open("rb") as source:
                            while chunk := source.read(1 << 20):
                                copy.write(chunk)
                        payload.unlink()
            except BaseException as exc:
                self._failure = exc

    def _check(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _drain(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._check()

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        self._check()
        self._queue.put((table, columns, copy_text(rows)))

    def append_ready(self, path: str) -> None:
        self._check()
        for table, columns in COPY_TABLES:
            self._queue.put((table, columns, Path(path) / f"{table}.copy"))

    def finish(self) -> None:
        try:
            self._drain()
            # Unique constraints first: foreign keys need their referenced keys indexed.
            for constraint in reversed(self._constraints):
                if isinstance(constraint, UniqueConstraint):
                    self._execute(AddConstraint(constraint))
            for index in self._indexes:
                self._execute(CreateIndex(index))
            for constraint in self._constraints:
                if isinstance(constraint, ForeignKeyConstraint):
                    self._execute(AddConstraint(constraint))
            for name in SEEDED_TABLES:
                # Explicit ids bypassed the sequences; move them past the loaded rows.
                self._cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                    f"coalesce((SELECT max(id) FROM {name}), 0) + 1, false)"
                )
            self._db.commit()
            # Fresh statistics, so the planner knows the tables are big (autovacuum may
            # be off or not have come round yet): without them an id-range scan was
            # planned as a full sort of the citizen table.
            for name in SEEDED_TABLES:
                self._cursor.execute(f"ANALYZE {name}")
            self._db.commit()
        except BaseException:
            self.abort()
            raise
        self._closed = True
        self._raw.close()

    def abort(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(BaseException):
            self._drain()
        self._db.rollback()
        self._raw.close()


def open_writer(engine: Engine, *, replace: bool, scratch: Sequence[str] = ()) -> BulkWriter:
    if engine.dialect.name == "sqlite":
        return SqliteWriter(engine, replace=replace, scratch=scratch)
    if engine.dialect.name == "postgresql":
        return PostgresWriter(engine, replace=replace)
    raise ValueError(f"seeding supports SQLite and PostgreSQL, not {engine.dialect.name}")
