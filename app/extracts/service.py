"""Extracts as an agency runs them: authorise, fix the cohort, report progress, serve the rows.

The cohort's citizen ids are read (a server-side cursor, one chunk at a time) and
compressed before anything is written; the job and all its chunks are then stored
in one short transaction, so an accepted extract is complete and a refused or
failed request leaves nothing behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from typing import Any

from starlette.concurrency import run_in_threadpool

from app.audit.entries import disclosure, refusal
from app.audit.records import AuditEntry
from app.audit.writer import AuditWriter
from app.auth.principal import Principal, PurposePolicy
from app.auth.service import authorize
from app.config import Settings
from app.db import Database
from app.extracts import repository
from app.extracts.cohort import CohortQuery, resolve, with_reference_date
from app.extracts.errors import (
    CohortTooLargeError,
    ConsentPurposeError,
    ExtractFinishedError,
    ExtractNotFinishedError,
    ExtractNotFoundError,
)
from app.extracts.rendering import encode_ids, ndjson
from app.extracts.schemas import CohortFilter
from app.jobs import measure
from app.models import ExtractState
from app.models.base import utcnow
from app.models.enums import Operation
from app.problems import ProblemError

JOB_OPERATION = "extract_job"


@dataclass(frozen=True, slots=True)
class ExtractRequest:
    purpose: str | None
    cohort: CohortFilter
    request_id: str | None


def _policy(principal: Principal, purpose: str | None) -> PurposePolicy:
    policy = authorize(principal, purpose, Operation.EXTRACT)
    if policy.consent_required:
        raise ConsentPurposeError(
            f"Purpose {policy.code!r} needs each citizen's consent; extracts run only under "
            "purposes that rest on another legal basis."
        )
    return policy


async def estimate(
    database: Database,
    audit: AuditWriter,
    settings: Settings,
    principal: Principal,
    spec: ExtractRequest,
) -> dict[str, Any]:
    """How many citizens the cohort holds, counting no further than one past the maximum."""
    try:
        _policy(principal, spec.purpose)
        cohort = with_reference_date(spec.cohort)
        query = resolve(cohort)
    except ProblemError as error:
        await audit.record(
            refusal(principal, spec.purpose, "extract_estimate", spec.request_id, error)
        )
        raise
    cap = settings.extract_max_citizens + 1
    citizens = await run_in_threadpool(_count, database, query, cap)
    return {
        "citizens": citizens,
        "max_citizens": settings.extract_max_citizens,
        "within_limit": citizens <= settings.extract_max_citizens,
        "cohort": cohort,
    }


def _count(database: Database, query: CohortQuery, cap: int) -> int:
    with database.engine.connect() as connection:
        return repository.count_cohort(connection, query, cap)


async def create_extract(
    database: Database,
    audit: AuditWriter,
    settings: Settings,
    principal: Principal,
    spec: ExtractRequest,
) -> dict[str, Any]:
    try:
        policy = _policy(principal, spec.purpose)
        cohort = with_reference_date(spec.cohort)
        query = resolve(cohort)
        fields = [field.value for field in policy.fields]
        job: dict[str, Any] = {
            "id": uuid.uuid4().hex,
            "agency_code": principal.agency_code,
            "purpose": policy.code,
            "cohort": cohort.model_dump(mode="json"),
            "fields": fields,
            "request_id": spec.request_id,
        }
        accepted = disclosure(
            principal,
            policy.code,
            JOB_OPERATION,
            spec.request_id,
            personal_id=None,
            fields=fields,
            outcome="accepted",
            detail={"extract": job["id"], "cohort": job["cohort"]},
        )
        await run_in_threadpool(_store, database, settings, job, query, accepted)
    except ProblemError as error:
        await audit.record(refusal(principal, spec.purpose, JOB_OPERATION, spec.request_id, error))
        raise
    return get_extract(database, principal, job["id"])


def _store(
    database: Database,
    settings: Settings,
    job: dict[str, Any],
    query: CohortQuery,
    accepted: AuditEntry,
) -> None:
    """Read the cohort's ids chunk by chunk, then store the job, its chunks and the record
    of its acceptance (with the cohort's size) in one transaction."""
    limit = settings.extract_max_citizens
    chunks: list[tuple[int, bytes]] = []
    total = 0
    with (
        database.engine.connect() as connection,
        closing(repository.cohort_ids(connection, query, settings.extract_chunk_rows)) as pages,
    ):
        for ids in pages:
            total += len(ids)
            if total > limit:
                raise CohortTooLargeError(
                    f"The cohort holds more than {limit:,} citizens, the most one extract may "
                    "cover; narrow it (area, ages, sex, marital status) or split it.",
                    extensions={"max_citizens": limit},
                )
            chunks.append((len(ids), encode_ids(ids)))
    empty = total == 0
    job = {
        **job,
        "state": ExtractState.DONE if empty else ExtractState.QUEUED,
        "rows_total": total,
        "rows_processed": 0,
        "rows_written": 0,
        "chunks": len(chunks),
        "finished_at": utcnow() if empty else None,  # nobody to render: done at once
    }
    detail = {**(accepted.detail or {}), "citizens": total}
    with database.engine.begin() as connection:
        repository.insert_job(connection, job, chunks, replace(accepted, detail=detail))


def _own(database: Database, principal: Principal, job_id: str) -> dict[str, Any]:
    with database.engine.connect() as connection:
        job = repository.get_job(connection, job_id)
    # Another agency's extract is as absent as one that never existed.
    if job is None or job["agency_code"] != principal.agency_code:
        raise ExtractNotFoundError(f"You have no extract {job_id!r}.")
    return job


def with_progress(job: dict[str, Any]) -> dict[str, Any]:
    rate, eta, progress = measure(
        started_at=job["started_at"],
        finished_at=job["finished_at"],
        done=job["rows_processed"],
        total=job["rows_total"],
        complete=job["state"] == ExtractState.DONE,
        finished=job["state"] in repository.FINISHED,
    )
    return {**job, "rows_per_second": rate, "eta_seconds": eta, "progress": progress}


def get_extract(database: Database, principal: Principal, job_id: str) -> dict[str, Any]:
    return with_progress(_own(database, principal, job_id))


def list_extracts(database: Database, principal: Principal, limit: int) -> list[dict[str, Any]]:
    with database.engine.connect() as connection:
        jobs = repository.list_jobs(connection, principal.agency_code, limit)
    return [with_progress(job) for job in jobs]


def cancel_extract(database: Database, principal: Principal, job_id: str) -> dict[str, Any]:
    job = _own(database, principal, job_id)
    with database.engine.begin() as connection:
        cancelled = repository.cancel(connection, job_id)
    if not cancelled:
        raise ExtractFinishedError(
            f"Extract {job_id!r} has already finished ({job['state']}); nothing to cancel."
        )
    return get_extract(database, principal, job_id)


def finished_extract(database: Database, principal: Principal, job_id: str) -> dict[str, Any]:
    """The extract, if its rows can be read: done, or cancelled (the rows rendered before)."""
    job = get_extract(database, principal, job_id)
    if job["state"] not in (ExtractState.DONE, ExtractState.CANCELLED):
        reason = (
            f"failed and has no rows: {job['error']}"
            if job["state"] == ExtractState.FAILED
            else f"is {job['state']} ({job['rows_processed']:,} of {job['rows_total']:,} "
            "citizens done); its rows are ready when it is done"
        )
        raise ExtractNotFinishedError(
            f"Extract {job_id!r} {reason}.",
            extensions={"state": str(job["state"]), "progress": job["progress"]},
        )
    return job


async def open_download(
    database: Database,
    audit: AuditWriter,
    principal: Principal,
    job_id: str,
    output: str,
    request_id: str | None,
) -> tuple[dict[str, Any], list[str]]:
    """A finished extract and the fields its purpose still allows; the download is audited.

    Each citizen's own record came with their row; this is one record of who fetched
    the rows, when and in which format (or of the refusal, if the purpose no longer
    allows extracts).
    """
    job = await run_in_threadpool(finished_extract, database, principal, job_id)
    detail = {"extract": job_id}
    try:
        policy = authorize(principal, job["purpose"], Operation.EXTRACT)
    except ProblemError as error:
        await audit.record(
            refusal(principal, job["purpose"], "extract_download", request_id, error, detail=detail)
        )
        raise
    allowed = {field.value for field in policy.fields}
    fields = [name for name in job["fields"] if name in allowed]
    await audit.record(
        disclosure(
            principal,
            job["purpose"],
            "extract_download",
            request_id,
            personal_id=None,
            fields=fields,
            detail={**detail, "rows": job["rows_written"], "format": output},
        )
    )
    return job, fields


def row_blocks(database: Database, job_id: str) -> Iterator[bytes]:
    """Each done chunk's rows as NDJSON, in registry order, one chunk in memory at a time."""
    after = -1
    while True:
        with database.engine.connect() as connection:
            found = repository.rows_after(connection, job_id, after)
        if found is None:
            return
        after, data = found
        if data:
            yield ndjson(data)
