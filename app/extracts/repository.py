"""All SQL of extracts: the cohort query, jobs and chunks, claims, rows in order."""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from app.audit import repository as audit_repository
from app.audit.records import AuditEntry
from app.db import RawSession
from app.extracts.cohort import CohortQuery
from app.jobs import rows
from app.jobs.claims import claim, claim_statements
from app.models import ChunkState, Citizen, ExtractChunk, ExtractJob, ExtractState
from app.models.base import utcnow

ACTIVE = (ExtractState.QUEUED, ExtractState.RUNNING)
FINISHED = (ExtractState.DONE, ExtractState.CANCELLED, ExtractState.FAILED)
CLAIM_SQL = claim_statements("extract_chunk", "extract_job", [state.value for state in ACTIVE])
IN_CHUNK = 1000  # citizen ids per IN (...) query
SCAN_CACHE_SIZE = -2048  # KiB


# --- the cohort ------------------------------------------------------------------------


def _conditions(cohort: CohortQuery) -> list[ColumnElement[bool]]:
    prefix = cohort.residence
    ward = getattr(Citizen, f"{prefix}_ward_code")
    legacy_ward = getattr(Citizen, f"{prefix}_legacy_ward_code")
    conditions: list[ColumnElement[bool]] = []
    if cohort.wards is not None:
        conditions.append(ward.in_(cohort.wards))
    if cohort.legacy_wards is not None:
        area = legacy_ward.in_(cohort.legacy_wards)
        if cohort.wards_without_legacy:
            area = or_(area, and_(legacy_ward.is_(None), ward.in_(cohort.wards_without_legacy)))
        conditions.append(area)
    if cohort.born_on_or_before is not None:
        conditions.append(Citizen.birth_date <= cohort.born_on_or_before)
    if cohort.born_after is not None:
        conditions.append(Citizen.birth_date > cohort.born_after)
    if cohort.sex is not None:
        conditions.append(Citizen.sex == cohort.sex)
    if cohort.marital_status is not None:
        conditions.append(Citizen.marital_status == cohort.marital_status)
    if cohort.vital_status == "alive":
        conditions += [Citizen.death_date.is_(None), Citizen.disappearance_date.is_(None)]
    elif cohort.vital_status == "deceased":
        conditions.append(Citizen.death_date.is_not(None))
    elif cohort.vital_status == "missing":
        conditions += [Citizen.death_date.is_(None), Citizen.disappearance_date.is_not(None)]
    return conditions


def _cohort(cohort: CohortQuery) -> Select[Any]:
    query = select(Citizen.id).where(*_conditions(cohort)).order_by(Citizen.id)
    return query if cohort.limit is None else query.limit(cohort.limit)


@contextmanager
def _small_cache(connection: Connection) -> Iterator[None]:
    """On SQLite, a one-off scan of the citizen table reads through a 2 MiB page cache.

    Each pooled connection keeps up to 64 MiB of pages (app/db.py): a scan of a
    million citizens would leave that much in the cache of whichever connection ran
    it, and successive scans on other connections would add up in the server.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    kept = int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
    connection.exec_driver_sql(f"PRAGMA cache_size = {SCAN_CACHE_SIZE}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {kept}")


def count_cohort(connection: Connection, cohort: CohortQuery, cap: int) -> int:
    """Citizens in the cohort, counting no further than ``cap``."""
    capped = _cohort(cohort).limit(min(cap, cohort.limit or cap)).subquery()
    with _small_cache(connection):
        return int(connection.execute(select(func.count()).select_from(capped)).scalar_one())


def cohort_ids(
    connection: Connection, cohort: CohortQuery, size: int
) -> Generator[list[int], None, None]:
    """The cohort's citizen ids in registry order, ``size`` at a time (a server-side cursor)."""
    with _small_cache(connection):
        result = connection.execution_options(stream_results=True, yield_per=size).execute(
            _cohort(cohort)
        )
        try:
            for partition in result.scalars().partitions(size):
                yield [int(citizen_id) for citizen_id in partition]
        finally:
            result.close()  # also when the caller stops early (a cohort too large)


def citizens_by_ids(
    session: RawSession, citizen_ids: Sequence[int], columns: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Citizen rows with ``columns`` (from the fixed catalogue of app/identity/fields.py)."""
    rows: list[dict[str, Any]] = []
    for start in range(0, len(citizen_ids), IN_CHUNK):
        part = citizen_ids[start : start + IN_CHUNK]
        marks = ", ".join("?" * len(part))
        rows.extend(
            session.all(
                f"SELECT {', '.join(columns)} FROM citizen WHERE id IN ({marks})",  # noqa: S608
                part,
            )
        )
    return rows


# --- jobs and chunks -------------------------------------------------------------------


def insert_job(
    connection: Connection,
    job: dict[str, Any],
    chunks: Sequence[tuple[int, bytes]],
    accepted: AuditEntry,
) -> None:
    """The job, its chunks (citizen count, compressed ids) and the audit record of its
    acceptance, in the caller's transaction (the job's insert takes SQLite's write lock
    before the audit head is read)."""
    connection.execute(insert(ExtractJob).values(**job))
    if chunks:
        connection.execute(
            insert(ExtractChunk),
            [
                {
                    "job_id": job["id"],
                    "number": number,
                    "row_count": rows,
                    "state": ChunkState.PENDING,
                    "citizen_ids": data,
                }
                for number, (rows, data) in enumerate(chunks)
            ],
        )
    audit_repository.append_within(connection, [accepted])


def get_job(connection: Connection, job_id: str) -> dict[str, Any] | None:
    return rows.get_job(connection, ExtractJob, job_id)


def list_jobs(connection: Connection, agency_code: str, limit: int) -> list[dict[str, Any]]:
    return rows.list_jobs(connection, ExtractJob, agency_code, limit)


def _drop_unfinished_chunks(connection: Connection, job_id: str) -> None:
    # Their citizens were never rendered nor audited; claimants find nothing to store.
    connection.execute(
        delete(ExtractChunk).where(
            ExtractChunk.job_id == job_id, ExtractChunk.state != ChunkState.DONE
        )
    )


def cancel(connection: Connection, job_id: str) -> bool:
    result = connection.execute(
        update(ExtractJob)
        .where(ExtractJob.id == job_id, ExtractJob.state.in_(ACTIVE))
        .values(state=ExtractState.CANCELLED, finished_at=utcnow())
    )
    if result.rowcount != 1:
        return False
    _drop_unfinished_chunks(connection, job_id)
    return True


def fail_job(connection: Connection, job_id: str, error: str) -> None:
    result = connection.execute(
        update(ExtractJob)
        .where(ExtractJob.id == job_id, ExtractJob.state.in_(ACTIVE))
        .values(state=ExtractState.FAILED, error=error, finished_at=utcnow())
    )
    if result.rowcount == 1:
        _drop_unfinished_chunks(connection, job_id)


def any_claimable(connection: Connection) -> bool:
    """Whether a chunk waits (a read: idle workers do not take SQLite's write lock)."""
    waiting = exists().where(
        or_(
            ExtractChunk.state == ChunkState.PENDING,
            and_(ExtractChunk.state == ChunkState.CLAIMED, ExtractChunk.lease_until < utcnow()),
        )
    )
    return bool(connection.execute(select(waiting)).scalar())


def claim_chunk(
    connection: Connection, token: str, lease: timedelta
) -> tuple[str, int, bytes, int] | None:
    """Claim the next pending chunk (or one whose lease ran out): job, number, ids, rows."""
    claimed = claim(connection, CLAIM_SQL, token, lease)
    if claimed is None:
        return None
    job_id, number = claimed
    row = connection.execute(
        select(ExtractChunk.citizen_ids, ExtractChunk.row_count).where(
            ExtractChunk.job_id == job_id, ExtractChunk.number == number
        )
    ).one()
    return job_id, number, bytes(row.citizen_ids), int(row.row_count)


def finish_chunk(
    connection: Connection,
    job_id: str,
    number: int,
    token: str,
    rows: bytes,
    processed: int,
    written: int,
    audit: Sequence[AuditEntry],
    claimed_at: datetime,
) -> bool:
    """Store a chunk's rows with its per-citizen audit records, if the claim still holds.

    The chunk's update comes first: on SQLite it takes the write lock before the
    audit head is read. False when the lease ran out and another worker took over,
    or the extract was cancelled meanwhile.
    """
    result = connection.execute(
        update(ExtractChunk)
        .where(
            ExtractChunk.job_id == job_id,
            ExtractChunk.number == number,
            ExtractChunk.claim_token == token,
            ExtractChunk.state == ChunkState.CLAIMED,
        )
        .values(state=ChunkState.DONE, rows=rows, claim_token=None, lease_until=None)
    )
    if result.rowcount != 1:
        return False
    audit_repository.append_within(connection, audit)
    connection.execute(
        update(ExtractJob)
        .where(ExtractJob.id == job_id)
        .values(
            rows_processed=ExtractJob.rows_processed + processed,
            rows_written=ExtractJob.rows_written + written,
            started_at=func.coalesce(ExtractJob.started_at, claimed_at),
            state=case(
                (ExtractJob.state == ExtractState.QUEUED.value, ExtractState.RUNNING.value),
                else_=ExtractJob.state,
            ),
        )
    )
    finish_if_complete(connection, job_id)
    return True


def finish_if_complete(connection: Connection, job_id: str) -> bool:
    """Mark the extract done once every chunk is done."""
    unfinished = exists().where(
        ExtractChunk.job_id == job_id, ExtractChunk.state != ChunkState.DONE
    )
    result = connection.execute(
        update(ExtractJob)
        .where(ExtractJob.id == job_id, ExtractJob.state.in_(ACTIVE), ~unfinished)
        .values(state=ExtractState.DONE, finished_at=utcnow())
    )
    return result.rowcount == 1


def rows_after(connection: Connection, job_id: str, after: int) -> tuple[int, bytes] | None:
    """The next done chunk's number and rows after chunk ``after``, in order."""
    row = connection.execute(
        select(ExtractChunk.number, ExtractChunk.rows)
        .where(
            ExtractChunk.job_id == job_id,
            ExtractChunk.number > after,
            ExtractChunk.state == ChunkState.DONE,
        )
        .order_by(ExtractChunk.number)
        .limit(1)
    ).first()
    return None if row is None else (int(row.number), bytes(row.rows or b""))
