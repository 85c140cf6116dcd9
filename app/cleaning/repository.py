"""All SQL of cleaning jobs: jobs, chunks, claims with leases, results in order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, delete, exists, func, insert, select, update

from app.audit import repository as audit_repository
from app.audit.records import AuditEntry
from app.jobs import rows
from app.jobs.claims import claim, claim_statements
from app.models import ChunkState, CleaningChunk, CleaningJob, JobState
from app.models.base import utcnow

ACTIVE = (JobState.RECEIVING, JobState.QUEUED, JobState.RUNNING)
FINISHED = (JobState.DONE, JobState.CANCELLED, JobState.FAILED)


def insert_job(connection: Connection, values: dict[str, Any]) -> None:
    connection.execute(insert(CleaningJob).values(**values))


def get_job(connection: Connection, job_id: str) -> dict[str, Any] | None:
    return rows.get_job(connection, CleaningJob, job_id)


def list_jobs(connection: Connection, agency_code: str, limit: int) -> list[dict[str, Any]]:
    return rows.list_jobs(connection, CleaningJob, agency_code, limit)


def add_chunk(
    connection: Connection, job_id: str, number: int, first_row: int, rows: int, data: bytes
) -> None:
    """Store one chunk of input and count it on the job, in the caller's transaction."""
    connection.execute(
        insert(CleaningChunk).values(
            job_id=job_id,
            number=number,
            first_row=first_row,
            row_count=rows,
            state=ChunkState.PENDING,
            input=data,
        )
    )
    connection.execute(
        update(CleaningJob)
        .where(CleaningJob.id == job_id)
        .values(
            rows_received=CleaningJob.rows_received + rows,
            chunks=CleaningJob.chunks + 1,
            updated_at=utcnow(),
        )
    )


def delete_job(connection: Connection, job_id: str) -> None:
    connection.execute(delete(CleaningChunk).where(CleaningChunk.job_id == job_id))
    connection.execute(delete(CleaningJob).where(CleaningJob.id == job_id))


def upload_complete(connection: Connection, job_id: str) -> None:
    connection.execute(
        update(CleaningJob)
        .where(CleaningJob.id == job_id, CleaningJob.state == JobState.RECEIVING)
        .values(
            state=_queued_or_running(),
            updated_at=utcnow(),
        )
    )
    finish_if_complete(connection, job_id)


def _queued_or_running() -> Any:
    return case(
        (CleaningJob.rows_processed > 0, JobState.RUNNING.value), else_=JobState.QUEUED.value
    )


def finish_if_complete(connection: Connection, job_id: str) -> bool:
    """Mark the job done once its upload is complete and every chunk is done."""
    unfinished = exists().where(
        CleaningChunk.job_id == job_id, CleaningChunk.state != ChunkState.DONE
    )
    result = connection.execute(
        update(CleaningJob)
        .where(
            CleaningJob.id == job_id,
            CleaningJob.state.in_((JobState.QUEUED, JobState.RUNNING)),
            ~unfinished,
        )
        .values(state=JobState.DONE, finished_at=utcnow(), updated_at=utcnow())
    )
    return result.rowcount == 1


def cancel(connection: Connection, job_id: str) -> bool:
    result = connection.execute(
        update(CleaningJob)
        .where(CleaningJob.id == job_id, CleaningJob.state.in_(ACTIVE))
        .values(state=JobState.CANCELLED, finished_at=utcnow(), updated_at=utcnow())
    )
    return result.rowcount == 1


def fail_job(connection: Connection, job_id: str, error: str) -> None:
    connection.execute(
        update(CleaningJob)
        .where(CleaningJob.id == job_id, CleaningJob.state.in_(ACTIVE))
        .values(state=JobState.FAILED, error=error, finished_at=utcnow(), updated_at=utcnow())
    )


def fail_stalled_uploads(connection: Connection, older_than: datetime) -> int:
    """Uploads whose sender went away (no chunk stored since ``older_than``) fail."""
    result = connection.execute(
        update(CleaningJob)
        .where(CleaningJob.state == JobState.RECEIVING, CleaningJob.updated_at < older_than)
        .values(
            state=JobState.FAILED,
            error="The upload stopped before the end of the file; nothing was accepted.",
            finished_at=utcnow(),
        )
    )
    return int(result.rowcount)


# Chunks of jobs still taking input or running; app/jobs words the claim for each dialect.
CLAIM_SQL = claim_statements("cleaning_chunk", "cleaning_job", [state.value for state in ACTIVE])


def claim_chunk(
    connection: Connection, token: str, lease: timedelta
) -> tuple[str, int, bytes, int] | None:
    """Claim the next pending chunk (or one whose lease ran out): job, number, input, rows."""
    claimed = claim(connection, CLAIM_SQL, token, lease)
    if claimed is None:
        return None
    job_id, number = claimed
    row = connection.execute(
        select(CleaningChunk.input, CleaningChunk.row_count).where(
            CleaningChunk.job_id == job_id, CleaningChunk.number == number
        )
    ).one()
    # The job's row is not touched here: claimants of one job must not queue on it.
    return str(job_id), int(number), bytes(row.input), int(row.row_count)


def finish_chunk(
    connection: Connection,
    job_id: str,
    number: int,
    token: str,
    results: bytes,
    counts: dict[str, Any],
    rows: int,
    audit: AuditEntry | None,
    subjects: Sequence[str],
    claimed_at: datetime | None = None,
) -> bool:
    """Store a chunk's results with its audit record, if the claim still holds.

    The record names the citizens of the chunk (``subjects``), who are filed in the
    tracker's index in the same transaction. The chunk's update comes first: on
    SQLite it takes the write lock before the audit head is read. False when the
    lease ran out and another worker took over.
    """
    result = connection.execute(
        update(CleaningChunk)
        .where(
            CleaningChunk.job_id == job_id,
            CleaningChunk.number == number,
            CleaningChunk.claim_token == token,
            CleaningChunk.state == ChunkState.CLAIMED,
        )
        .values(
            state=ChunkState.DONE,
            results=results,
            counts=counts,
            claim_token=None,
            lease_until=None,
        )
    )
    if result.rowcount != 1:
        return False
    if audit is not None:
        [record] = audit_repository.append_within(connection, [audit])
        audit_repository.file_record_subjects(connection, record["seq"], subjects)
    connection.execute(
        update(CleaningJob)
        .where(CleaningJob.id == job_id)
        .values(
            rows_processed=CleaningJob.rows_processed + rows,
            # When processing started: the claim of the first chunk to finish.
            started_at=func.coalesce(CleaningJob.started_at, claimed_at or utcnow()),
            state=case(
                (CleaningJob.state == JobState.QUEUED.value, JobState.RUNNING.value),
                else_=CleaningJob.state,
            ),
        )
    )
    finish_if_complete(connection, job_id)
    return True


def chunk_numbers(connection: Connection, job_id: str) -> list[int]:
    return list(
        connection.execute(
            select(CleaningChunk.number)
            .where(CleaningChunk.job_id == job_id, CleaningChunk.state == ChunkState.DONE)
            .order_by(CleaningChunk.number)
        ).scalars()
    )


def chunk_results(connection: Connection, job_id: str, number: int) -> bytes | None:
    return connection.execute(
        select(CleaningChunk.results).where(
            CleaningChunk.job_id == job_id, CleaningChunk.number == number
        )
    ).scalar_one_or_none()


def chunk_counts(connection: Connection, job_id: str) -> Iterator[dict[str, Any]]:
    for counts in connection.execute(
        select(CleaningChunk.counts).where(
            CleaningChunk.job_id == job_id, CleaningChunk.state == ChunkState.DONE
        )
    ).scalars():
        if counts:
            yield counts
