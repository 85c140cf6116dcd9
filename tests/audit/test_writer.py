"""Group commit: concurrent requests share transactions and every entry is committed."""

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.audit import repository
from app.audit.indexer import AuditIndexer
from app.audit.records import AuditEntry
from app.audit.service import verify_chain
from app.audit.writer import AuditUnavailableError, AuditWriter
from app.config import Settings
from app.db import Database
from app.schema import upgrade

pytestmark = pytest.mark.anyio


async def test_concurrent_records_are_batched_and_all_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/audit.db"
    upgrade(url)
    database = Database(Settings(database_url=url))
    commits = 0
    append = repository.append

    def counting_append(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        nonlocal commits
        commits += 1  # one transaction per call
        return append(*args, **kwargs)

    monkeypatch.setattr(repository, "append", counting_append)
    writer = AuditWriter(database)
    entries = [
        AuditEntry(operation="lookup", outcome="disclosed", request_id=f"req-{i}")
        for i in range(300)
    ]
    await asyncio.gather(*(writer.record(entry) for entry in entries))
    await writer.close()
    report = verify_chain(database.engine)
    database.dispose()
    assert report.intact
    assert report.records == 300
    assert 0 < commits < 30  # 300 entries, a handful of transactions


async def test_failed_write_refuses_with_503(tmp_path: Path) -> None:
    database = Database(Settings(database_url=f"sqlite:///{tmp_path}/never-migrated.db"))
    writer = AuditWriter(database)
    with pytest.raises(AuditUnavailableError) as caught:
        await writer.record(AuditEntry(operation="lookup", outcome="disclosed"))
    await writer.close()
    database.dispose()
    assert caught.value.status_code == 503
    assert caught.value.headers["Retry-After"] == "2"


async def test_a_bad_entry_refuses_only_its_own_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/audit.db"
    upgrade(url)
    database = Database(Settings(database_url=url))
    append = repository.append

    def failing_append(engine: Any, entries: Any, **kwargs: Any) -> list[dict[str, Any]]:
        if any(entry.request_id == "bad" for entry in entries):
            raise ValueError("this entry cannot be stored")
        return append(engine, entries, **kwargs)

    monkeypatch.setattr(repository, "append", failing_append)
    writer = AuditWriter(database)
    request_ids = [f"req-{i}" for i in range(50)] + ["bad"]
    outcomes = await asyncio.gather(
        *(
            writer.record(AuditEntry(operation="lookup", outcome="disclosed", request_id=rid))
            for rid in request_ids
        ),
        return_exceptions=True,
    )
    await writer.close()
    report = verify_chain(database.engine)
    database.dispose()
    refused = [rid for rid, o in zip(request_ids, outcomes, strict=True) if o is not None]
    assert refused == ["bad"]
    assert isinstance(outcomes[-1], AuditUnavailableError)
    assert report.intact
    assert report.records == 50


async def test_indexer_files_the_backlog_on_the_event_loop(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/audit.db"
    upgrade(url)
    database = Database(Settings(database_url=url))
    writer = AuditWriter(database)
    await asyncio.gather(
        *(
            writer.record(
                AuditEntry(operation="lookup", outcome="disclosed", personal_id=f"0010850{i:05d}")
            )
            for i in range(50)
        )
    )
    indexer = AuditIndexer(
        database, backlog=10, max_delay_seconds=60, slice_size=7, pause_seconds=0, poll_seconds=0
    )
    assert database.inline
    indexer.start()
    for _ in range(500):
        if repository.unindexed_count(database.engine) == 0:
            break
        await asyncio.sleep(0.01)
    await indexer.stop()
    await writer.close()
    with database.engine.connect() as connection:
        filed = connection.execute(text("SELECT count(*) FROM audit_subject")).scalar_one()
    database.dispose()
    assert filed == 50  # 50 records in backlogs of 10, slices of 7: each filed once
