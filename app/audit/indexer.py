"""Files audit records under their citizen in the background, off the request path.

Appends only touch pages at the end of the log; the index by personal ID has random
keys, so every entry dirties a page somewhere in the tree. Filed one by one as the
log grows, that is a page of write-ahead log per lookup (about 36 MB/s at 5,000
lookups/s on SQLite). So the indexer waits until a backlog has built up
(``backlog`` records, or ``max_delay_seconds`` after its last run) and files it
sorted by personal ID: consecutive entries share their leaf pages, and each page is
written once per run instead of once per record.

On SQLite it runs on the event loop, in slices of ``slice_size`` entries with a
pause between them, on the same connection as the lookups and the audit appends: a
thread of its own would hold SQLite's single write lock for tens of milliseconds
while the appends wait (blocking the loop), and its commits would empty the page
cache of the lookups' connection. On PostgreSQL, which has neither problem, it runs
in a thread.

Queries by citizen read what is not indexed yet straight from the log (the tail is
about ``backlog`` records long at most), so nothing is missed in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time

from app.audit import repository
from app.db import Database, database_unreachable

logger = logging.getLogger("popreg.audit")


class AuditIndexer:
    def __init__(
        self,
        database: Database,
        *,
        backlog: int = 20_000,
        max_delay_seconds: float = 5.0,
        slice_size: int = 100,
        pause_seconds: float = 0.01,
        poll_seconds: float = 0.5,
    ) -> None:
        self.database = database
        self.backlog = backlog
        self.max_delay = max_delay_seconds
        self.slice_size = slice_size
        self.pause = pause_seconds
        self.poll = poll_seconds
        self._last_run = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start filing in the background (call from the serving event loop)."""
        if self.database.inline:
            if self._task is None:
                self._task = asyncio.get_running_loop().create_task(
                    self._run_on_loop(), name="audit-indexer"
                )
        elif self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="audit-indexer", daemon=True)
            self._thread.start()

    def due(self) -> bool:
        waiting = repository.unindexed_count(self.database.engine)
        overdue = time.monotonic() - self._last_run >= self.max_delay
        return waiting > 0 and (waiting >= self.backlog or overdue)

    async def _run_on_loop(self) -> None:
        engine = self.database.engine
        while True:
            await asyncio.sleep(self.poll)
            try:
                if not self.due():
                    continue
                self._last_run = time.monotonic()
                # Reading and sorting the backlog takes tens of milliseconds: SQLite
                # does it in a thread (GIL released), the loop files the slices.
                _, last, subjects = await asyncio.to_thread(
                    repository.unfiled_subjects, engine, self.backlog
                )
                slices = repository.split(subjects, self.slice_size)
                for number, piece in enumerate(slices, start=1):
                    repository.file_subjects(
                        engine,
                        piece,
                        mark=last if number == len(slices) else None,
                        sqlite_connection=self.database.reader.thread_connection(),
                    )
                    if number < len(slices):
                        await asyncio.sleep(self._pause_for(last))
            except Exception as exc:
                logger.warning(
                    "audit indexing failed; retrying", exc_info=not database_unreachable(exc)
                )

    def _pause_for(self, filing_up_to: int) -> float:
        """The pause between slices: none once the log is far ahead of the index.

        Under load beyond what the pauses leave room for, the index falls behind and
        the tail that queries by citizen scan grows; past ten backlogs the indexer
        stops yielding between slices, so the lag stays bounded.
        """
        behind = repository.newest_seq(self.database.engine) - filing_up_to
        return 0.0 if behind > 10 * self.backlog else self.pause

    def _run(self) -> None:
        while not self._stop.wait(self.poll):
            try:
                self.run_once()
            except Exception as exc:
                logger.warning(
                    "audit indexing failed; retrying", exc_info=not database_unreachable(exc)
                )

    def run_once(self, *, force: bool = False) -> int:
        """File the backlog now if it is due (or ``force``); returns how many records."""
        if not (force or self.due()):
            return 0
        self._last_run = time.monotonic()
        covered = 0
        while True:
            filed = repository.index_subjects(
                self.database.engine, self.backlog, per_transaction=self.slice_size
            )
            covered += filed
            if filed < self.backlog or (self._stop.is_set() and not force):
                return covered

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
