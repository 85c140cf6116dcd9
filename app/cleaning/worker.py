"""Cleaning chunk workers: claim a chunk, verify its rows, store results and audit records together.

Inside the server (``POPREG_CLEANING_WORKERS`` threads) and in ``popreg worker``
processes alike. The claim, lease and loop are app/jobs' ``ChunkWorker``:
results are stored only while the claim still holds, so each row gets exactly
one result.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from app.cleaning import processing, repository
from app.cleaning.processing import ChunkOutcome, JobContext
from app.db import Database
from app.jobs import ChunkWorker, JobUnrunnableError, current_policy
from app.models.base import utcnow
from app.models.enums import CitizenField as F
from app.models.enums import Operation

__all__ = ["CleaningWorker", "JobUnrunnableError", "job_context"]

logger = logging.getLogger("popreg.cleaning")
STALLED_UPLOAD = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class ClaimedChunk:
    job_id: str
    number: int
    data: bytes
    rows: int


def job_context(database: Database, job_id: str) -> JobContext:
    with database.engine.connect() as connection:
        job = repository.get_job(connection, job_id)
    if job is None:
        raise JobUnrunnableError("the job is gone")
    policy = current_policy(database, job["agency_code"], job["purpose"], Operation.CLEAN)
    return JobContext(
        job_id=job_id,
        agency_code=job["agency_code"],
        purpose=job["purpose"],
        checked=tuple(F(name) for name in job["checked"]),
        correctable=tuple(F(name) for name in job["correctable"]),
        policy=policy,
    )


class CleaningWorker(ChunkWorker[ClaimedChunk, JobContext, ChunkOutcome]):
    kind = "cleaning"
    _last_sweep = 0.0  # monotonic time of the last sweep (set per instance from then on)

    def claim(self, connection: Connection, token: str) -> ClaimedChunk | None:
        claimed = repository.claim_chunk(connection, token, self.lease)
        return None if claimed is None else ClaimedChunk(*claimed)

    def load_context(self, job_id: str) -> JobContext:
        return job_context(self.database, job_id)

    def process(self, context: JobContext, claimed: ClaimedChunk) -> ChunkOutcome:
        outcome = processing.process_rows(self.database, context, processing.decode(claimed.data))
        outcome.encoded = processing.encode(outcome.results)
        return outcome

    def store(
        self,
        connection: Connection,
        claimed: ClaimedChunk,
        token: str,
        outcome: ChunkOutcome,
        claimed_at: datetime,
    ) -> bool:
        return repository.finish_chunk(
            connection,
            claimed.job_id,
            claimed.number,
            token,
            outcome.encoded,
            outcome.counts,
            claimed.rows,
            outcome.audit,
            outcome.subjects,
            claimed_at,
        )

    def fail(self, connection: Connection, job_id: str, error: str) -> None:
        repository.fail_job(connection, job_id, error)

    def sweep(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < 30:
            return
        self._last_sweep = now
        with self.database.engine.begin() as connection:
            failed = repository.fail_stalled_uploads(connection, utcnow() - STALLED_UPLOAD)
        if failed:
            logger.info("stalled uploads failed", extra={"fields": {"jobs": failed}})
