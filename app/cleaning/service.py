"""Cleaning jobs as an agency runs them: authorise, store the upload as it streams, report.

The upload is parsed as it arrives and stored chunk by chunk (each chunk its own
transaction), so memory stays flat and workers start on the first chunks while
the rest is still arriving. Problems with the file as a whole (empty, not CSV,
missing columns) are found in its first bytes, before anything is stored; an
upload cut short (too large, too many rows, the sender gone) is removed again.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from app.audit.entries import disclosure, refusal
from app.audit.writer import AuditWriter
from app.auth.principal import Principal
from app.auth.service import authorize
from app.cleaning import processing, repository
from app.cleaning import results as rendering
from app.cleaning.processing import InputRow
from app.cleaning.profiles import Sector, plan_job
from app.cleaning.upload import UploadFormat, UploadParser
from app.config import Settings
from app.db import Database, immediate_transaction
from app.jobs import measure
from app.models import JobState
from app.models.enums import CitizenField as F
from app.models.enums import Operation
from app.problems import ProblemError


class JobNotFoundError(ProblemError):
    status_code = 404
    code = "JOB_NOT_FOUND"
    title = "Cleaning job not found"


class JobNotFinishedError(ProblemError):
    status_code = 409
    code = "JOB_NOT_FINISHED"
    title = "Cleaning job not finished"


class JobFinishedError(ProblemError):
    status_code = 409
    code = "JOB_FINISHED"
    title = "Cleaning job already finished"


class ConsentPurposeError(ProblemError):
    status_code = 403
    code = "CONSENT_PURPOSE_NOT_SUPPORTED"
    title = "Purpose needs consent"


@dataclass(frozen=True, slots=True)
class UploadRequest:
    purpose: str | None
    sector: Sector
    input_format: UploadFormat
    overrides: dict[F, str]
    request_id: str | None


async def create_job(
    database: Database,
    audit: AuditWriter,
    settings: Settings,
    principal: Principal,
    upload: UploadRequest,
    body: AsyncIterator[bytes],
) -> dict[str, Any]:
    try:
        policy = authorize(principal, upload.purpose, Operation.CLEAN)
        if policy.consent_required:
            raise ConsentPurposeError(
                f"Purpose {policy.code!r} needs each citizen's consent; cleaning jobs run "
                "only under purposes that do not."
            )
        plan = plan_job(upload.sector, upload.overrides, policy)
    except ProblemError as error:
        await audit.record(
            refusal(principal, upload.purpose, "clean_job", upload.request_id, error)
        )
        raise
    job_id = uuid.uuid4().hex
    job = {
        "id": job_id,
        "agency_code": principal.agency_code,
        "purpose": policy.code,
        "sector": upload.sector.value,
        "input_format": upload.input_format.value,
        "mapping": plan.mapping,
        "checked": [f.value for f in plan.checked],
        "correctable": [f.value for f in plan.correctable],
        "state": JobState.RECEIVING,
        "rows_received": 0,
        "rows_processed": 0,
        "chunks": 0,
        "request_id": upload.request_id,
    }
    parser = UploadParser(
        upload.input_format,
        plan.mapping,
        {F.PERSONAL_ID.value},
        max_bytes=settings.cleaning_max_upload_bytes,
        max_rows=settings.cleaning_max_rows,
    )
    store = _ChunkStore(database, job, settings.cleaning_chunk_rows)
    try:
        async for piece in body:
            store.pending.extend((r.number, r.values, r.invalid) for r in parser.feed(piece))
            await store.flush_full()
        store.pending.extend((r.number, r.values, r.invalid) for r in parser.close())
        await store.flush_all()
        await run_in_threadpool(_complete, database, job_id)
    except BaseException:
        if store.created:
            await run_in_threadpool(_delete, database, job_id)
        raise
    await audit.record(
        disclosure(
            principal,
            policy.code,
            "clean_job",
            upload.request_id,
            personal_id=None,
            fields=[f.value for f in plan.checked],
            outcome="accepted",
            detail={"job": job_id, "rows": parser.rows, "sector": upload.sector.value},
        )
    )
    return get_job(database, principal, job_id)


class _ChunkStore:
    def __init__(self, database: Database, job: dict[str, Any], chunk_rows: int) -> None:
        self.database = database
        self.job = job
        self.chunk_rows = chunk_rows
        self.pending: list[InputRow] = []
        self.number = 0
        self.created = False

    async def flush_full(self) -> None:
        while len(self.pending) >= self.chunk_rows:
            rows, self.pending = self.pending[: self.chunk_rows], self.pending[self.chunk_rows :]
            await run_in_threadpool(self._store, rows)

    async def flush_all(self) -> None:
        await self.flush_full()
        if self.pending or not self.created:
            rows, self.pending = self.pending, []
            await run_in_threadpool(self._store, rows)

    def _store(self, rows: list[InputRow]) -> None:
        data = processing.encode_rows(rows)
        with immediate_transaction(self.database.engine) as connection:
            if not self.created:
                repository.insert_job(connection, self.job)
                self.created = True
            if rows:
                repository.add_chunk(
                    connection, self.job["id"], self.number, rows[0][0], len(rows), data
                )
                self.number += 1


def _complete(database: Database, job_id: str) -> None:
    with database.engine.begin() as connection:
        repository.upload_complete(connection, job_id)


def _delete(database: Database, job_id: str) -> None:
    with database.engine.begin() as connection:
        repository.delete_job(connection, job_id)


def _own_job(connection: Connection, principal: Principal, job_id: str) -> dict[str, Any]:
    job = repository.get_job(connection, job_id)
    # Another agency's job is as absent as one that never existed.
    if job is None or job["agency_code"] != principal.agency_code:
        raise JobNotFoundError(f"You have no cleaning job {job_id!r}.")
    return job


def get_job(database: Database, principal: Principal, job_id: str) -> dict[str, Any]:
    with database.engine.connect() as connection:
        return with_progress(_own_job(connection, principal, job_id))


def list_jobs(database: Database, principal: Principal, limit: int) -> list[dict[str, Any]]:
    with database.engine.connect() as connection:
        return [
            with_progress(job)
            for job in repository.list_jobs(connection, principal.agency_code, limit)
        ]


def cancel_job(database: Database, principal: Principal, job_id: str) -> dict[str, Any]:
    with database.engine.begin() as connection:
        job = _own_job(connection, principal, job_id)
        if not repository.cancel(connection, job_id):
            raise JobFinishedError(
                f"Job {job_id!r} has already finished ({job['state']}); nothing to cancel."
            )
    return get_job(database, principal, job_id)


def with_progress(job: dict[str, Any]) -> dict[str, Any]:
    """The job with its rate (rows/s since the first chunk was claimed) and ETA."""
    rate, eta, progress = measure(
        started_at=job["started_at"],
        finished_at=job["finished_at"],
        done=job["rows_processed"],
        total=job["rows_received"],
        complete=job["state"] == JobState.DONE,
        finished=job["state"] in repository.FINISHED,
    )
    return {**job, "rows_per_second": rate, "eta_seconds": eta, "progress": progress}


def finished_job(database: Database, principal: Principal, job_id: str) -> dict[str, Any]:
    job = get_job(database, principal, job_id)
    if job["state"] == JobState.FAILED:
        raise JobNotFinishedError(
            f"Job {job_id!r} failed and has no results: {job['error']}",
            extensions={"state": str(job["state"]), "progress": job["progress"]},
        )
    if job["state"] not in (JobState.DONE, JobState.CANCELLED):
        raise JobNotFinishedError(
            f"Job {job_id!r} is {job['state']} ({job['rows_processed']:,} of "
            f"{job['rows_received']:,} rows done); results are ready when it is done.",
            extensions={"state": str(job["state"]), "progress": job["progress"]},
        )
    return job


def result_blocks(database: Database, job_id: str) -> Iterator[bytes]:
    """Each done chunk's results as NDJSON, in row order, one chunk in memory at a time."""
    with database.engine.connect() as connection:
        numbers = repository.chunk_numbers(connection, job_id)
    for number in numbers:
        with database.engine.connect() as connection:
            data = repository.chunk_results(connection, job_id, number)
        if data:
            yield processing.ndjson(data)


def result_batches(database: Database, job_id: str) -> Iterator[list[dict[str, Any]]]:
    """Each done chunk's results as dicts, in row order."""
    for block in result_blocks(database, job_id):
        yield [orjson.loads(line) for line in block.splitlines()]


def summary(database: Database, principal: Principal, job_id: str) -> dict[str, Any]:
    job = get_job(database, principal, job_id)
    with database.engine.connect() as connection:
        counted = rendering.summary(repository.chunk_counts(connection, job_id))
    return {
        "job_id": job_id,
        "state": job["state"],
        "rows": job["rows_received"],
        "rows_processed": job["rows_processed"],
        **counted,
        "fee_vnd": counted["fields_checked"] * 1000,
    }
