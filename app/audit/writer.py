"""Group commit: requests enqueue audit entries and wait; one transaction writes a batch.

A disclosing response is sent only after ``record`` returns, that is after its
entry is committed. Batching makes that cheap: under load each transaction
carries the entries of every request that arrived in the last few milliseconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence

from app.audit import repository
from app.audit.records import AuditEntry
from app.db import Database, database_unreachable
from app.problems import ServiceUnavailableError

logger = logging.getLogger("popreg.audit")


class AuditUnavailableError(ServiceUnavailableError):
    code = "AUDIT_UNAVAILABLE"


class AuditWriter:
    def __init__(
        self,
        database: Database,
        *,
        max_delay_seconds: float = 0.0,
        max_batch: int = 1000,
        enabled: bool = True,
    ) -> None:
        self.database = database
        self.enabled = enabled
        self.max_delay = max_delay_seconds
        self.max_batch = max_batch
        self._pending: deque[tuple[Sequence[AuditEntry], asyncio.Future[None]]] = deque()
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def record(self, *entries: AuditEntry) -> None:
        """Return once ``entries`` are committed; raise 503 if they could not be."""
        if not entries or not self.enabled:
            return
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done():
            self._wakeup = asyncio.Event()
            self._task = loop.create_task(self._flush_forever(), name="audit-writer")
        future: asyncio.Future[None] = loop.create_future()
        self._pending.append((entries, future))
        assert self._wakeup is not None
        self._wakeup.set()
        await future

    async def _flush_forever(self) -> None:
        assert self._wakeup is not None
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            # Requests that arrive while a batch is being written make up the next one;
            # a delay (0 by default) would trade latency for larger batches.
            await asyncio.sleep(self.max_delay)
            while self._pending:
                batch, size = [], 0
                while self._pending and size < self.max_batch:
                    entries, future = self._pending.popleft()
                    batch.append((entries, future))
                    size += len(entries)
                await self._flush(batch)

    async def _flush(self, batch: list[tuple[Sequence[AuditEntry], asyncio.Future[None]]]) -> None:
        entries = [entry for group, _ in batch for entry in group]
        try:
            # SQLite commits a batch in about a tenth of a millisecond: on the event
            # loop that is cheaper than handing the GIL to a thread and back. It is
            # written on the connection the lookups on this thread read from: SQLite
            # empties a connection's page cache whenever another connection commits,
            # so appending from a pooled connection made every lookup re-read its
            # pages (7,000 instead of 9,000 lookups/s, docs/benchmarks.md).
            kept = self.database.reader.thread_connection() if self.database.inline else None
            await self.database.run(
                repository.append, self.database.engine, entries, sqlite_connection=kept
            )
        except Exception as exc:
            if len(batch) > 1 and not database_unreachable(exc):
                # One request's bad entry must not refuse the others it was batched
                # with: each request's entries again, in a transaction of their own.
                for one in batch:
                    await self._flush([one])
                return
            if database_unreachable(exc):  # an outage, not a bug: no stack trace
                logger.warning(
                    "audit append failed: the database is unreachable",
                    extra={"fields": {"entries": len(entries)}},
                )
            else:
                logger.exception("audit append failed", extra={"fields": {"entries": len(entries)}})
            error = AuditUnavailableError(
                "The audit log cannot be written, so nothing is disclosed. Retry shortly.",
                headers={"Retry-After": "2"},
            )
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for _, future in batch:
            if not future.done():
                future.set_result(None)

    async def close(self) -> None:
        """Write what is pending, then stop (at shutdown)."""
        if self._task is None:
            return
        waiting = [future for _, future in self._pending]
        await asyncio.gather(*waiting, return_exceptions=True)
        self._task.cancel()
        self._task = None
