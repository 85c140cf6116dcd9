"""Engines and sessions; every difference between SQLite and PostgreSQL lives here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from app.config import Settings

SQLITE_PRAGMAS: dict[str, str | int] = {
    # WAL lets readers run while one writer commits; NORMAL is durable across
    # process crashes in WAL mode (only an OS crash can lose the last commits).
    "journal_mode": "WAL",
    "synchronous": "NORMAL",
    "foreign_keys": "ON",
    "temp_store": "MEMORY",
    "cache_size": -65536,  # 64 MiB page cache per connection
    "mmap_size": 268_435_456,
}


def build_engine(settings: Settings) -> Engine:
    """Create the engine for ``settings.database_url`` with dialect-appropriate tuning."""
    url = make_url(settings.database_url)
    # hide_parameters keeps personal data out of error messages and logs.
    common: dict[str, Any] = {"echo": settings.db_echo, "hide_parameters": True}
    if url.get_backend_name() == "sqlite":
        database = url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": settings.sqlite_busy_timeout_ms / 1000,
            },
            **common,
        )
        _install_sqlite_pragmas(engine, settings.sqlite_busy_timeout_ms)
        _end_failed_sqlite_commit(engine)
        return engine
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_recycle=settings.db_pool_recycle,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5},
        **common,
    )


def _end_failed_sqlite_commit(engine: Engine) -> None:
    """Roll back the DBAPI transaction when COMMIT itself fails on SQLite.

    A deferred foreign key that is violated makes SQLite refuse the COMMIT but
    leave the transaction open; SQLAlchemy then returns the connection to the
    pool without a rollback, and the next request would see (and could commit)
    the refused rows.
    """

    @event.listens_for(engine, "handle_error")
    def _rollback_after_failed_commit(context: ExceptionContext) -> None:
        if context.statement is not None or context.connection is None:
            return
        dbapi_connection = context.connection.connection.dbapi_connection
        if dbapi_connection is not None and dbapi_connection.in_transaction:
            dbapi_connection.rollback()


def _install_sqlite_pragmas(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            for name, value in SQLITE_PRAGMAS.items():
                cursor.execute(f"PRAGMA {name} = {value}")
        finally:
            cursor.close()


class Database:
    """The engine and session factory of one running app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = build_engine(settings)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_session(request: Request) -> Iterator[Session]:
    """One session per request that owns the transaction: commit on success, else roll back."""
    with get_database(request).session_factory() as session, session.begin():
        yield session


DatabaseDep = Annotated[Database, Depends(get_database)]
SessionDep = Annotated[Session, Depends(get_session)]
