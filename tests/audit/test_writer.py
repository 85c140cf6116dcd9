"""Group commit: concurrent requests share transactions and every entry is committed."""

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import event

from app.audit.records import AuditEntry
from app.audit.service import verify_chain
from app.audit.writer import AuditUnavailableError, AuditWriter
from app.config import Settings
from app.db import Database
from app.schema import upgrade

pytestmark = pytest.mark.anyio


async def test_concurrent_records_are_batched_and_all_committed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/audit.db"
    upgrade(url)
    database = Database(Settings(database_url=url))
    commits = 0

    @event.listens_for(database.engine, "commit")
    def _count(_connection: object) -> None:
        nonlocal commits
        commits += 1

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
    assert commits < 30  # 300 entries, a handful of transactions


async def test_failed_write_refuses_with_503(tmp_path: Path) -> None:
    database = Database(Settings(database_url=f"sqlite:///{tmp_path}/never-migrated.db"))
    writer = AuditWriter(database)
    with pytest.raises(AuditUnavailableError) as caught:
        await writer.record(AuditEntry(operation="lookup", outcome="disclosed"))
    await writer.close()
    database.dispose()
    assert caught.value.status_code == 503
    assert caught.value.headers["Retry-After"] == "2"
