"""Credential changes reach every process: the revision file (SQLite), NOTIFY (PostgreSQL),
and a cache that never stores what was read while a change happened."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.auth import changes
from app.auth.cache import CredentialCache
from app.auth.changes import (
    PostgresListener,
    RevisionFile,
    announce_change,
    bump_revision,
    credential_watcher,
    revision_file,
)
from app.auth.principal import Principal
from app.auth.repository import CREDENTIALS_CHANNEL, LISTENER_APPLICATION_NAME
from app.models.enums import Sector

PRINCIPAL = Principal(agency_id=1, agency_code="phusa-bank", sector=Sector.BANK)


def test_the_revision_file_lies_beside_a_sqlite_file_only(tmp_path: Path) -> None:
    assert revision_file(f"sqlite:///{tmp_path}/popreg.db") == tmp_path / "popreg.db-credentials"
    assert revision_file("sqlite://") is None
    assert revision_file("sqlite:///:memory:") is None
    assert revision_file("postgresql+psycopg://postgres@127.0.0.1/test") is None
    assert credential_watcher("sqlite:///:memory:") is None
    assert isinstance(credential_watcher("postgresql://postgres@127.0.0.1/test"), PostgresListener)


def test_each_bump_is_seen_once(tmp_path: Path) -> None:
    path = tmp_path / "popreg.db-credentials"
    watcher = RevisionFile(path)  # no file yet
    assert not watcher.changed()
    bump_revision(path)
    assert watcher.changed()
    assert not watcher.changed()
    bump_revision(path)
    bump_revision(path)
    assert watcher.changed()
    assert not watcher.changed()
    other = RevisionFile(path)  # a process started after the bumps
    assert not other.changed()


def test_a_full_revision_file_is_replaced_and_that_is_a_change_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(changes, "MAX_REVISION_BYTES", 3)
    path = tmp_path / "popreg.db-credentials"
    for _ in range(3):
        bump_revision(path)
    watcher = RevisionFile(path)
    bump_revision(path)  # replaces the 3-byte file by a 1-byte one
    assert path.stat().st_size == 1
    assert watcher.changed()
    bump_revision(path)
    assert watcher.changed()
    assert not list(tmp_path.glob("*.tmp"))


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path}/popreg.db")
    yield engine
    engine.dispose()


def test_a_sqlite_change_is_signalled_on_commit_not_on_rollback(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    path = revision_file(sqlite_engine.url)
    assert path is not None
    watcher = RevisionFile(path)
    with Session(sqlite_engine) as session:
        with session.begin():
            announce_change(session)
            assert not watcher.changed()  # not before the commit
        assert watcher.changed()
        session.begin()
        announce_change(session)
        session.rollback()
        assert not watcher.changed()


@pytest.mark.postgres
def test_a_postgresql_change_is_heard_by_a_listener_on_commit(postgres_url: str) -> None:
    listener = PostgresListener(postgres_url)
    assert not listener.changed()  # not started: trusts the cache
    listener.start()
    engine = create_engine(postgres_url)
    try:
        assert listener.wait_listening(10)
        assert listener.changed()  # what was cached before listening is dropped once
        assert not listener.changed()
        with Session(engine) as session:
            session.begin()
            announce_change(session)
            session.rollback()
            with session.begin():
                announce_change(session)
                announce_change(session)  # twice in one transaction: one notification
        # The commit returned only once the listener had acknowledged: no waiting here.
        assert listener.changed()
        time.sleep(0.2)
        assert not listener.changed()  # one commit, one change (the rollback sent none)
    finally:
        listener.stop()
        engine.dispose()
    assert not listener.listening


def test_an_entry_read_while_a_change_happened_is_not_kept() -> None:
    cache = CredentialCache(60)
    generation = cache.refresh()
    cache.invalidate()  # a revocation lands while the key is being read
    entry = cache.put_key("prk_00000000", "hash", PRINCIPAL, generation=generation)
    assert entry.principal is PRINCIPAL  # this request still gets its answer
    assert cache.key("prk_00000000") is None  # but the stale row is not cached
    cache.put_key("prk_00000000", "hash", PRINCIPAL, generation=cache.generation)
    assert cache.key("prk_00000000") is not None


def test_a_watched_change_empties_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "popreg.db-credentials"
    cache = CredentialCache(60, RevisionFile(path))
    cache.put_key("prk_00000000", "hash", PRINCIPAL)
    cache.put_agency(PRINCIPAL)
    assert cache.key("prk_00000000") is not None
    bump_revision(path)  # another process revoked something
    assert cache.key("prk_00000000") is None
    assert cache.agency("phusa-bank") is None


@pytest.mark.postgres
def test_a_listener_that_never_answers_delays_a_change_only_briefly(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import psycopg

    monkeypatch.setattr(changes, "ACK_TIMEOUT_SECONDS", 0.3)
    url = make_url(postgres_url).set(drivername="postgresql")
    stalled = psycopg.connect(
        url.render_as_string(hide_password=False),
        autocommit=True,
        application_name=LISTENER_APPLICATION_NAME,
    )
    stalled.execute(f"LISTEN {CREDENTIALS_CHANNEL}")  # listens, never acknowledges
    engine = create_engine(postgres_url)
    try:
        with Session(engine) as session, session.begin():
            announce_change(session)
    finally:
        stalled.close()
        engine.dispose()
    assert "not acknowledged by every server process in time" in caplog.text
