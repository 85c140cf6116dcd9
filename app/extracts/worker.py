"""Extract chunk workers: render a chunk's citizens, store their rows with an audit record each.

Threads in the server (``POPREG_EXTRACT_WORKERS``) and in ``popreg worker``
processes; the claim, lease and loop are app/jobs' ``ChunkWorker``. An idle
worker looks for work with a read before it claims, so waiting costs no write lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from app.db import Database
from app.extracts import repository
from app.extracts.rendering import ExtractContext, RenderedChunk, decode_ids, render_chunk
from app.jobs import ChunkWorker, JobUnrunnableError, current_policy
from app.models.enums import CitizenField as F
from app.models.enums import Operation


@dataclass(frozen=True, slots=True)
class ClaimedChunk:
    job_id: str
    number: int
    citizen_ids: bytes
    rows: int


def extract_context(database: Database, job_id: str) -> ExtractContext:
    with database.engine.connect() as connection:
        job = repository.get_job(connection, job_id)
    if job is None:
        raise JobUnrunnableError("the extract is gone")
    policy = current_policy(database, job["agency_code"], job["purpose"], Operation.EXTRACT)
    if policy.consent_required:
        raise JobUnrunnableError(f"purpose {job['purpose']!r} now needs each citizen's consent")
    # A narrowed policy is obeyed at once; a widened one adds no column mid-extract.
    fields = tuple(F(name) for name in job["fields"] if F(name) in policy.fields)
    if not fields:
        raise JobUnrunnableError(f"purpose {job['purpose']!r} no longer allows any of its fields")
    return ExtractContext(
        job_id=job_id,
        agency_code=job["agency_code"],
        purpose=job["purpose"],
        fields=fields,
        request_id=job["request_id"],
    )


class ExtractWorker(ChunkWorker[ClaimedChunk, ExtractContext, RenderedChunk]):
    kind = "extract"

    def claim(self, connection: Connection, token: str) -> ClaimedChunk | None:
        if not repository.any_claimable(connection):
            return None
        claimed = repository.claim_chunk(connection, token, self.lease)
        return None if claimed is None else ClaimedChunk(*claimed)

    def load_context(self, job_id: str) -> ExtractContext:
        return extract_context(self.database, job_id)

    def process(self, context: ExtractContext, claimed: ClaimedChunk) -> RenderedChunk:
        return render_chunk(self.database, context, decode_ids(claimed.citizen_ids))

    def store(
        self,
        connection: Connection,
        claimed: ClaimedChunk,
        token: str,
        outcome: RenderedChunk,
        claimed_at: datetime,
    ) -> bool:
        return repository.finish_chunk(
            connection,
            claimed.job_id,
            claimed.number,
            token,
            outcome.rows,
            outcome.processed,
            outcome.written,
            outcome.audit,
            claimed_at,
        )

    def fail(self, connection: Connection, job_id: str, error: str) -> None:
        repository.fail_job(connection, job_id, error)
