"""The hash chain catches altered, removed and reordered records (both backends)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from app.audit import repository
from app.audit.records import AuditEntry
from app.audit.service import export, verify_chain
from app.config import Settings
from app.db import Database, build_engine
from app.schema import upgrade
from tests.conftest import BACKENDS, empty_database_url


@pytest.fixture(params=BACKENDS)
def chain_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = empty_database_url(request.param, tmp_path, request)
    upgrade(url)
    engine = build_engine(Settings(database_url=url))
    for batch in range(4):
        repository.append(
            engine,
            [
                AuditEntry(
                    operation="lookup",
                    outcome="disclosed",
                    agency_code="phusa-bank",
                    purpose="kyc_onboarding",
                    personal_id=f"0790850001{batch}{i}",
                    fields=("full_name", "birth_date"),
                    request_id=f"r{batch}{i}",
                    detail={"credential": "api_key"},
                )
                for i in range(5)
            ],
        )
    yield engine
    engine.dispose()


def tamper(engine: Engine, sql: str) -> None:
    with engine.begin() as connection:
        connection.execute(text(sql))


def test_untouched_chain_is_intact(chain_engine: Engine) -> None:
    report = verify_chain(chain_engine)
    assert report.intact
    assert report.records == report.head_seq == 20


def test_altered_record_is_caught(chain_engine: Engine) -> None:
    tamper(chain_engine, "UPDATE audit_event SET personal_id = '001084000999' WHERE seq = 7")
    report = verify_chain(chain_engine)
    assert report.broken is not None
    assert report.broken.seq == 7
    assert "altered" in report.broken.problem


def test_altered_record_with_recomputed_hash_is_caught_by_the_next(chain_engine: Engine) -> None:
    # A forger who rewrites a record and its own hash still breaks the link after it.
    tamper(
        chain_engine,
        "UPDATE audit_event SET outcome = 'denied', hash = 'f' || substr(hash, 2) WHERE seq = 12",
    )
    report = verify_chain(chain_engine)
    assert report.broken is not None
    assert report.broken.seq == 12


def test_removed_record_is_caught(chain_engine: Engine) -> None:
    tamper(chain_engine, "DELETE FROM audit_event WHERE seq = 9")
    report = verify_chain(chain_engine)
    assert report.broken is not None
    assert report.broken.seq == 9
    assert "missing" in report.broken.problem


def test_removed_tail_is_caught(chain_engine: Engine) -> None:
    tamper(chain_engine, "DELETE FROM audit_event WHERE seq >= 19")
    report = verify_chain(chain_engine)
    assert report.broken is not None
    assert report.broken.seq == 19


def test_reordered_records_are_caught(chain_engine: Engine) -> None:
    tamper(chain_engine, "UPDATE audit_event SET seq = -1 WHERE seq = 4")
    tamper(chain_engine, "UPDATE audit_event SET seq = 4 WHERE seq = 5")
    tamper(chain_engine, "UPDATE audit_event SET seq = 5 WHERE seq = -1")
    report = verify_chain(chain_engine)
    assert report.broken is not None
    assert report.broken.seq == 4


def test_export_formats(chain_engine: Engine) -> None:
    ndjson = "".join(export(chain_engine, since=None, format="ndjson")).splitlines()
    assert len(ndjson) == 20
    assert '"seq":1' in ndjson[0]
    rows = "".join(export(chain_engine, since=None, format="csv")).splitlines()
    assert rows[0].startswith("seq,occurred_at,agency_code")
    assert len(rows) == 21
    assert list(export(chain_engine, since="2999-01-01", format="ndjson")) == []


def test_citizen_queries_are_complete_before_and_after_indexing(chain_engine: Engine) -> None:
    from sqlalchemy import select

    from app.models import AuditEvent

    def about(personal_id: str) -> list[int]:
        with chain_engine.connect() as connection:
            query = select(AuditEvent.seq).where(
                AuditEvent.seq.in_(repository.seqs_about(personal_id, buckets=1))
            )
            return sorted(connection.execute(query).scalars())

    before = about("079085000112")
    assert before == about("079085000112")
    assert repository.index_subjects(chain_engine, batch=7) == 7  # part of the log
    assert about("079085000112") == before
    while repository.index_subjects(chain_engine, batch=7):
        pass
    assert about("079085000112") == before
    assert len(before) == 1
    # Running again (another process, a restart) changes nothing.
    assert repository.index_subjects(chain_engine) == 0
    with chain_engine.connect() as connection:
        subjects = connection.execute(text("SELECT count(*) FROM audit_subject")).scalar_one()
    assert subjects == 20


def test_index_written_in_key_order_chunks_is_complete(chain_engine: Engine) -> None:
    # 20 records, 3 entries per transaction: seven transactions, the mark moves in the last.
    assert repository.unindexed_count(chain_engine) == 20
    assert repository.index_subjects(chain_engine, batch=100, per_transaction=3) == 20
    assert repository.index_subjects(chain_engine, batch=100, per_transaction=3) == 0
    assert repository.unindexed_count(chain_engine) == 0
    with chain_engine.connect() as connection:
        filed = connection.execute(text("SELECT count(*) FROM audit_subject")).scalar_one()
    assert filed == 20


def test_indexer_waits_for_a_backlog_then_files_it(chain_engine: Engine) -> None:
    from app.audit.indexer import AuditIndexer

    database = Database(Settings(database_url=chain_engine.url.render_as_string(False)))
    try:
        indexer = AuditIndexer(database, backlog=50, max_delay_seconds=3600, slice_size=8)
        assert indexer.run_once() == 0  # 20 waiting: below the backlog, not overdue
        assert repository.unindexed_count(chain_engine) == 20
        assert indexer.run_once(force=True) == 20  # in slices of 8, all of it
        assert repository.unindexed_count(chain_engine) == 0

        overdue = AuditIndexer(database, backlog=50, max_delay_seconds=0)
        assert overdue.run_once() == 0  # nothing waiting
    finally:
        database.dispose()
