"""Engines and sessions; every difference between SQLite and PostgreSQL lives here."""

from __future__ import annotations

import fcntl
import gc
import logging
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from starlette.concurrency import run_in_threadpool

from app.config import Settings

try:  # the pg extra; without it PostgreSQL cannot be used at all
    from psycopg import OperationalError as PostgresOperationalError
except ImportError:  # pragma: no cover - installs without the pg extra
    PostgresOperationalError = sqlite3.OperationalError  # type: ignore[misc,assignment]

T = TypeVar("T")

THREADPOOL_WORKERS = 40  # anyio's default number of worker threads (run_in_threadpool)
SQLITE_PRAGMAS: dict[str, str | int] = {
    # WAL lets readers run while one writer commits; NORMAL is durable across
    # process crashes in WAL mode (only an OS crash can lose the last commits).
    "journal_mode": "WAL",
    "synchronous": "NORMAL",
    "foreign_keys": "ON",
    "temp_store": "MEMORY",
    "cache_size": -65536,  # 64 MiB page cache per connection (POPREG_SQLITE_CACHE_MIB)
    "mmap_size": 268_435_456,
    # Commits checkpoint past 1,000 WAL pages (SQLite's default), which keeps the WAL
    # from growing under constant writes. Processes that run a WalCheckpointer (the
    # server, `popreg worker`) turn this off: a commit's checkpoint would run while it
    # holds the write lock, and every other writer would wait for it.
    "wal_autocheckpoint": 1000,
}
_CHECKPOINTED: weakref.WeakSet[Engine] = weakref.WeakSet()


# libpq options of every PostgreSQL connection. An unreachable server answers
# /readyz within 5 s. A connection whose peer vanished without a word (a network
# partition, a host gone: no reset comes) is given up after 10 s of silence and 3
# unanswered probes 5 s apart, or 30 s of data sent and not acknowledged, rather
# than after the system's two hours: a query in flight fails (503) instead of
# holding its thread and pooled connection.
POSTGRES_CONNECT_ARGS: dict[str, Any] = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
}
# SQLSTATEs of PostgreSQL errors that mean "no usable connection right now": class 08
# (connection exceptions), an administrator's or a crash's shutdown, or a server not
# accepting connections yet. Other operational errors (a deadlock, a cancelled query)
# are about the statement, not about reaching the server.
_UNREACHABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")
# SQLite: the file cannot be opened or read, or the write lock stayed taken beyond
# the busy timeout.
_SQLITE_UNAVAILABLE = ("unable to open database", "disk i/o error", "database is locked")


def database_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot be reached (or used) right now.

    True for a connection refused, reset or closed by the server, a backend
    terminated by an administrator, no pooled connection free within the pool
    timeout, and SQLite's file that cannot be opened or stays locked. Such a
    failure passes: callers answer 503 and try again later. Raw DBAPI errors (the
    lookup hot path's) and SQLAlchemy's wrapped ones alike.
    """
    if isinstance(exc, PoolTimeoutError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig  # type: ignore[assignment]
    if isinstance(exc, sqlite3.OperationalError):
        message = str(exc).lower()
        return any(text in message for text in _SQLITE_UNAVAILABLE)
    if isinstance(exc, PostgresOperationalError):
        sqlstate = getattr(exc, "sqlstate", None)
        return sqlstate is None or sqlstate.startswith(_UNREACHABLE_SQLSTATES)
    return False


def build_engine(settings: Settings) -> Engine:
    """Create the engine for ``settings.database_url`` with dialect-appropriate tuning."""
    url = make_url(settings.database_url)
    # hide_parameters keeps personal data out of error messages and logs.
    common: dict[str, Any] = {"echo": settings.db_echo, "hide_parameters": True}
    if url.get_backend_name() == "sqlite":
        database = url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        in_memory = not database or database == ":memory:" or "mode=memory" in str(url)
        # A SQLite connection is a file handle: cheap. Each of the thread pool's 40
        # workers may hold one, so the pool never makes a request wait for another's
        # (SQLAlchemy's default 5 + 10 stalled 40 concurrent requests for 30 s).
        pool: dict[str, Any] = (
            {}
            if in_memory
            else {
                "pool_size": settings.db_pool_size,
                "max_overflow": max(settings.db_max_overflow, THREADPOOL_WORKERS),
                "pool_timeout": settings.db_pool_timeout,
                # The most recently used connection first: its page cache is warm, and
                # connections only a burst needed never fill their 64 MiB caches.
                "pool_use_lifo": True,
            }
        )
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": settings.sqlite_busy_timeout_ms / 1000,
            },
            **pool,
            **common,
        )
        _install_sqlite_pragmas(engine, settings.sqlite_busy_timeout_ms, settings.sqlite_cache_mib)
        _end_failed_sqlite_commit(engine)
        return engine
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_recycle=settings.db_pool_recycle,
        pool_pre_ping=True,
        connect_args=POSTGRES_CONNECT_ARGS,
        **common,
    )


def build_read_engine(settings: Settings) -> Engine:
    """PostgreSQL engine for the lookup hot path: autocommit reads, no ping per checkout.

    Each checkout of the main engine pings the server and each read ends with a
    rollback: two extra round trips around a one-row select. A connection the
    server dropped fails one read and is replaced by the pool.
    """
    return create_engine(
        make_url(settings.database_url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_recycle=settings.db_pool_recycle,
        pool_reset_on_return=None,
        isolation_level="AUTOCOMMIT",
        connect_args=POSTGRES_CONNECT_ARGS,
        hide_parameters=True,
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


def _install_sqlite_pragmas(engine: Engine, busy_timeout_ms: int, cache_mib: int = 64) -> None:
    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            for name, value in SQLITE_PRAGMAS.items():
                cursor.execute(f"PRAGMA {name} = {value}")
            cursor.execute(f"PRAGMA cache_size = {-1024 * int(cache_mib)}")
            if engine in _CHECKPOINTED:
                cursor.execute("PRAGMA wal_autocheckpoint = 0")
        finally:
            cursor.close()


class _SqliteWriteLock:
    """A turn at a SQLite database's one write lock, queued instead of polled.

    SQLite makes a writer that finds the database locked sleep and retry (1, 2, 5 …
    100 ms), so under contention the next writer is whoever wakes at the right time
    and some wait for long. Writers queue here instead and go as soon as it is free:
    threads of one process on a lock, processes (a server and its ``popreg worker``
    processes) on ``flock`` of a file beside the database, which the kernel hands
    on at once and releases when a process dies. Re-entrant within a thread.
    """

    def __init__(self, path: str | None) -> None:
        self._threads = threading.RLock()
        self._depth = 0
        self._path = path
        self._fd: int | None = None
        self._locked = False

    def __enter__(self) -> _SqliteWriteLock:
        self._threads.acquire()
        self._depth += 1
        if self._depth == 1 and self._path is not None:
            try:
                if self._fd is None:
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
                self._locked = True
            except OSError:  # e.g. a read-only folder: SQLite's own lock still holds
                self._path = None
        return self

    def __exit__(self, *_: object) -> None:
        if self._depth == 1 and self._locked and self._fd is not None:
            self._locked = False
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._depth -= 1
        self._threads.release()


_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, _SqliteWriteLock] = weakref.WeakKeyDictionary()
_WRITE_LOCKS_GUARD = threading.Lock()


def sqlite_write_lock(engine: Engine) -> AbstractContextManager[Any]:
    """The turn at a SQLite database's write lock (see ``_SqliteWriteLock``); a no-op elsewhere."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    with _WRITE_LOCKS_GUARD:
        lock = _WRITE_LOCKS.get(engine)
        if lock is None:
            database = engine.url.database or ""
            on_disk = database not in ("", ":memory:") and not database.startswith("file:")
            path = f"{database}-writelock" if on_disk else None
            lock = _WRITE_LOCKS[engine] = _SqliteWriteLock(path)
    return lock


@contextmanager
def immediate_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds SQLite's write lock from its first statement.

    A deferred SQLite transaction that reads and then writes fails at once
    (``SQLITE_BUSY``, no busy wait) when another connection committed in between;
    ``BEGIN IMMEDIATE`` waits for the lock first instead. PostgreSQL: a plain
    transaction (lock rows with ``FOR UPDATE`` where it matters).
    """
    with sqlite_write_lock(engine), engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.begin()
        try:
            yield connection
        except BaseException:
            connection.rollback()
            raise
        connection.commit()


class Database:
    """The engine and session factory of one running app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = build_engine(settings)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self._inline = self.engine.dialect.name == "sqlite"
        self.reader = RawReader(self.engine if self._inline else build_read_engine(settings))
        self.checkpointer = WalCheckpointer(self.engine) if self._inline else None

    @property
    def inline(self) -> bool:
        """Whether short database work runs on the event loop (SQLite) or in threads."""
        return self._inline

    def start(self) -> None:
        """Background upkeep of a serving process."""
        if self.checkpointer is not None:
            self.checkpointer.start()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def run(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run blocking database work from async code.

        A SQLite read of one indexed row takes tens of microseconds: a thread
        hand-off would cost more than it saves. PostgreSQL waits on the
        network, so its work goes to the thread pool.
        """
        if self._inline:
            return function(*args, **kwargs)
        return await run_in_threadpool(function, *args, **kwargs)

    def dispose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.reader.close()
        if self.reader.engine is not self.engine:
            self.reader.engine.dispose()
        self.engine.dispose()


class WalCheckpointer:
    """Copies the SQLite write-ahead log into the database every second, off the hot path.

    A commit that crosses the autocheckpoint threshold then finds most pages already
    copied, so the request that made it waits for little more than the fsync.
    """

    def __init__(self, engine: Engine, interval_seconds: float = 1.0) -> None:
        self.engine = engine
        self.interval = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            _CHECKPOINTED.add(self.engine)  # connections opened from now on leave them to us
            self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.checkpoint()

    def checkpoint(self) -> None:
        connection = self.engine.raw_connection()
        try:
            # PASSIVE never waits for readers or writers; what it cannot copy now
            # it copies next time.
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:
            logging.getLogger("popreg.db").warning("WAL checkpoint failed", exc_info=True)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
            _CHECKPOINTED.discard(self.engine)
            self.checkpoint()  # what the last commits left in the WAL
        self.checkpoint()


class RawReader:
    """Plain DBAPI reads for the hot paths.

    SQLAlchemy's result machinery costs more than an indexed SQLite select, so
    lookups use a DBAPI connection directly. SQL is written with ``?``
    placeholders and translated once for drivers with another paramstyle.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._translate = engine.dialect.paramstyle not in ("qmark",)
        self._statements: dict[str, str] = {}
        # SQLite: one connection per thread, kept open. A pool checkout costs more
        # than the indexed read it serves; plain SELECTs open no transaction in
        # sqlite3, so a kept connection always reads the latest commit.
        self._per_thread = engine.dialect.name == "sqlite"
        self._local = threading.local()
        self._kept: list[Any] = []
        self._lock = threading.Lock()

    def _sql(self, sql: str) -> str:
        if not self._translate:
            return sql
        statement = self._statements.get(sql)
        if statement is None:
            statement = self._statements[sql] = sql.replace("%", "%%").replace("?", "%s")
        return statement

    def thread_connection(self) -> Any:
        """This thread's kept SQLite connection (SQLite only)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            pooled = self.engine.raw_connection()
            pooled.detach()  # ours for the thread's life, pragmas already applied
            connection = self._local.connection = pooled.dbapi_connection
            with self._lock:
                self._kept.append(connection)
        return connection

    def close(self) -> None:
        with self._lock:
            kept, self._kept = self._kept, []
        for connection in kept:
            connection.close()
        self._local = threading.local()

    @contextmanager
    def session(self) -> Iterator[RawSession]:
        if self._per_thread:
            cursor = self.thread_connection().cursor()
            try:
                yield RawSession(self, cursor)
            finally:
                cursor.close()
            return
        pooled = _PooledRead(self.engine)
        try:
            yield RawSession(self, pooled.cursor, pooled.renew)
        except self.engine.dialect.loaded_dbapi.Error as exc:
            pooled.discard(exc)
            raise
        finally:
            pooled.close()


class _PooledRead:
    """A pooled connection for raw reads, renewed once when the server dropped it.

    Raw DBAPI errors bypass SQLAlchemy's disconnect handling, and the read engine
    does not ping on checkout: a connection the server dropped (a restart, a
    failover, an outage) would go back to the pool and fail every later read. A
    dropped connection is discarded with every pooled one opened before it, as
    SQLAlchemy does for its own statements, and the read is tried once more on a
    new connection (a read in autocommit mode is safe to repeat): after the
    database comes back, no request fails on a stale connection.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connection = engine.raw_connection()
        self.cursor: Any = self.connection.cursor()
        self._renewed = False

    def _dropped(self, exc: BaseException) -> bool:
        return isinstance(exc, self.engine.dialect.loaded_dbapi.Error) and bool(
            self.engine.dialect.is_disconnect(exc, self.connection.dbapi_connection, self.cursor)
        )

    def renew(self, exc: BaseException) -> Any:
        """A cursor on a new connection if ``exc`` dropped this one (once); else None."""
        if self._renewed or not self._dropped(exc):
            return None
        self._renewed = True
        self.engine.pool._invalidate(self.connection, exc)  # this one and all older
        self.close()
        self.connection = self.engine.raw_connection()
        self.cursor = self.connection.cursor()
        return self.cursor

    def discard(self, exc: BaseException) -> None:
        """After a failed read: never return this connection to the pool."""
        if self._dropped(exc):
            self.engine.pool._invalidate(self.connection, exc)
        elif self.connection.is_valid:
            self.connection.invalidate(exc)

    def close(self) -> None:
        with suppress(Exception):  # the cursor of a connection already gone
            self.cursor.close()
        self.connection.close()


class RawSession:
    def __init__(
        self,
        reader: RawReader,
        cursor: Any,
        renew: Callable[[BaseException], Any] | None = None,
    ) -> None:
        self._reader = reader
        self._cursor = cursor
        self._renew = renew

    @property
    def dialect(self) -> str:
        return str(self._reader.engine.dialect.name)

    def _execute(self, sql: str, params: Sequence[Any]) -> Any:
        statement, values = self._reader._sql(sql), tuple(params)
        try:
            self._cursor.execute(statement, values)
        except Exception as exc:
            cursor = self._renew(exc) if self._renew is not None else None
            if cursor is None:
                raise
            self._cursor = cursor
            cursor.execute(statement, values)
        return self._cursor

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self._execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        cursor = self._execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([column[0] for column in cursor.description], row, strict=True))


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_session(request: Request) -> Iterator[Session]:
    """One session per request that owns the transaction: commit on success, else roll back."""
    with get_database(request).session_factory() as session, session.begin():
        yield session


DatabaseDep = Annotated[Database, Depends(get_database)]
# scope="function": commit before the response is sent, never after it.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def tune_collector() -> None:
    """Collect young objects every 50,000 allocations instead of 700.

    Batch work (parsing an upload, verifying a chunk of rows) allocates millions of
    short-lived dicts and tuples that reference counting frees anyway; with the
    default threshold the cycle collector ran so often that it cost a third of the
    time (cleaning 14,600 rows/s, 20,500 with this threshold; parsing 160,000 rows/s,
    520,000). Collections become rarer and each takes a little longer.
    """
    gc.set_threshold(50_000, 20, 100)
