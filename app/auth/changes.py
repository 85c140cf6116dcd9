"""Telling every worker process at once that API keys or policies changed.

Each process caches keys and policies (``CredentialCache``) so that a request
reads no database. A change (a key revoked or created, a purpose or limit set)
is announced in the transaction that makes it, and every process drops its
cache as soon as it hears of it, without a database read per request:

- SQLite: a revision file beside the database (``popreg.db-credentials``). A
  committed change appends one byte to it; each credential check stats the
  file (about a microsecond) and drops the cache when its size or inode moved.
- PostgreSQL: ``NOTIFY popreg_credentials`` inside the changing transaction,
  delivered on commit. A listener thread per process counts notifications; the
  next credential check drops the cache. While the listener is not connected
  (the database dropped it; it reconnects with backoff) notifications may be
  missed, so the cache is bypassed until it listens again.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

from app.auth import repository

logger = logging.getLogger("popreg.auth")

REVISION_SUFFIX = "-credentials"
# Past this size the revision file is replaced by a fresh one (a new inode: still a change).
MAX_REVISION_BYTES = 1 << 20


class CredentialWatcher(Protocol):
    def changed(self) -> bool:
        """Whether credentials may have changed since the last call (then drop the cache)."""
        ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


def revision_file(database_url: str | URL) -> Path | None:
    """The revision file of a SQLite database file; None for other databases."""
    url = make_url(database_url)
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:") or url.query.get("mode") == "memory":
        return None
    path = Path(database)
    return path.with_name(path.name + REVISION_SUFFIX)


def bump_revision(path: Path) -> None:
    """Record one change: append a byte (atomic with O_APPEND), or start a fresh file."""
    try:
        if path.exists() and path.stat().st_size >= MAX_REVISION_BYTES:
            fresh = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            fresh.write_bytes(b".")
            fresh.replace(path)
            return
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, b".")
        finally:
            os.close(descriptor)
    except OSError as exc:
        # The change is committed; other processes see it when their entries expire.
        logger.warning(
            "credential change not signalled to other processes",
            extra={"fields": {"error": type(exc).__name__}},
        )


def announce_change(session: Session) -> None:
    """Tell every process, when this session's transaction commits, that credentials changed.

    On PostgreSQL the commit then waits (at most ``ACK_TIMEOUT_SECONDS``) until every
    listening server process has acknowledged, so that no process serves a revoked
    key after the change is reported done.
    """
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        if session.info.get(_ANNOUNCED):
            return  # once per transaction
        token = secrets.token_hex(8)
        repository.notify_credentials_changed(session, token)  # sent on commit only
        AckWaiter(bind.engine.url, token).attach(session)
        return
    path = revision_file(bind.engine.url)
    if path is None:
        return

    @event.listens_for(session, "after_commit", once=True)
    def _signal(_session: Session) -> None:
        bump_revision(path)


_ANNOUNCED = "popreg_credentials_announced"
ACK_TIMEOUT_SECONDS = 2.0


class AckWaiter:
    """Collects the listening processes' acknowledgements of one change (PostgreSQL).

    Just before the commit it counts the listening processes and listens for their
    acknowledgements on a connection of its own; after the commit it waits for them.
    A process that does not answer in time (it is dying, or stalled) delays the change
    by ``ACK_TIMEOUT_SECONDS`` and is logged; it sees the change when it answers.
    """

    def __init__(self, url: URL, token: str) -> None:
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.token = token
        self.expected = 0
        self._connection: Any = None

    def attach(self, session: Session) -> None:
        session.info[_ANNOUNCED] = True
        event.listen(session, "before_commit", self._listen, once=True)
        event.listen(session, "after_commit", self._wait, once=True)
        event.listen(session, "after_rollback", self._close, once=True)

    def _listen(self, session: Session) -> None:
        import psycopg

        self.expected = repository.count_listeners(session)
        if not self.expected:
            return
        try:
            self._connection = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5)
            repository.listen_for_credential_changes(self._connection)
        except Exception as exc:
            self._warn(exc)
            self._close(session)

    def _wait(self, session: Session) -> None:
        connection = self._connection
        try:
            if connection is None:
                return
            wanted = repository.ACK_PREFIX + self.token
            heard = 0
            deadline = time.monotonic() + ACK_TIMEOUT_SECONDS
            while heard < self.expected and (left := deadline - time.monotonic()) > 0:
                for notification in connection.notifies(timeout=left):
                    if notification.payload == wanted:
                        heard += 1
                        if heard >= self.expected:
                            break
            if heard < self.expected:
                logger.warning(
                    "credential change not acknowledged by every server process in time",
                    extra={"fields": {"expected": self.expected, "acknowledged": heard}},
                )
        except Exception as exc:
            self._warn(exc)
        finally:
            self._close(session)

    def _close(self, session: Session) -> None:
        session.info.pop(_ANNOUNCED, None)
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @staticmethod
    def _warn(exc: Exception) -> None:
        logger.warning(
            "credential change acknowledgements not collected",
            extra={"fields": {"error": type(exc).__name__}},
        )


class RevisionFile:
    """Watches a SQLite database's revision file with one ``stat`` per check."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen = self._revision()

    def _revision(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return stat.st_ino, stat.st_size

    def changed(self) -> bool:
        revision = self._revision()
        if revision == self._seen:
            return False
        self._seen = revision
        return True

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


class PostgresListener:
    """Listens for ``popreg_credentials`` notifications on a connection of its own."""

    def __init__(self, database_url: str, *, max_backoff_seconds: float = 5.0) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self.max_backoff = max_backoff_seconds
        self._notified = 0
        self._seen = 0
        self._started = False
        self._listening = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    def changed(self) -> bool:
        if self._started and not self._listening.is_set():
            return True  # notifications may be missed: trust no cached entry
        notified = self._notified
        if notified == self._seen:
            return False
        self._seen = notified
        return True

    def wait_listening(self, timeout: float) -> bool:
        return self._listening.wait(timeout)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._started = True
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="credentials-listener", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._listening.clear()
        self._started = False

    def _run(self) -> None:
        import psycopg  # the pg extra; only PostgreSQL deployments get here

        backoff = 0.1
        while not self._stopping.is_set():
            try:
                with psycopg.connect(
                    self._conninfo,
                    autocommit=True,
                    connect_timeout=5,
                    application_name=repository.LISTENER_APPLICATION_NAME,
                    keepalives=1,
                    keepalives_idle=10,
                    keepalives_interval=5,
                    keepalives_count=3,
                ) as connection:
                    repository.listen_for_credential_changes(connection)
                    self._notified += 1  # changes missed while not listening
                    self._listening.set()
                    if backoff > 0.1:
                        logger.info("credential change listener reconnected")
                    backoff = 0.1
                    self._listen(connection)
            except Exception as exc:  # psycopg.Error mostly; whatever it is, listen again
                if self._listening.is_set() or backoff == 0.1:
                    logger.warning(
                        "credential change listener lost its connection; caches bypassed",
                        extra={"fields": {"error": type(exc).__name__}},
                    )
            finally:
                self._listening.clear()
            self._stopping.wait(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    def _listen(self, connection: Any) -> None:
        idle = 0.0
        while not self._stopping.is_set():
            heard = False
            changes = []
            for notification in connection.notifies(timeout=0.5, stop_after=1):
                heard = True
                if not notification.payload.startswith(repository.ACK_PREFIX):
                    self._notified += 1  # the next credential check drops the cache…
                    changes.append(notification.payload)
            for token in changes:  # …so the change may be reported done
                repository.acknowledge_change(connection, token)
            idle = 0.0 if heard else idle + 0.5
            if idle >= 10.0:  # a silent network drop shows only on a round trip
                repository.ping(connection)
                idle = 0.0


def credential_watcher(database_url: str) -> CredentialWatcher | None:
    """How this process hears of credential changes made by others, if it can."""
    if make_url(database_url).get_backend_name() == "postgresql":
        return PostgresListener(database_url)
    path = revision_file(database_url)
    return RevisionFile(path) if path is not None else None
