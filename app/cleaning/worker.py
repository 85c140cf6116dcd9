"""Chunk workers: claim a chunk, verify its rows, store results and audit records together.

Inside the server (``POPREG_CLEANING_WORKERS`` threads) and in ``popreg worker``
processes alike. A claim is a lease: if a worker dies, its chunk is taken over
when the lease runs out; results are stored only while the claim still holds,
so each row gets exactly one result.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import timedelta

from sqlalchemy.orm import Session

from app.agencies import repository as agency_repository
from app.agencies.service import to_policy
from app.cleaning import processing, repository
from app.cleaning.processing import JobContext
from app.db import Database
from app.models.base import utcnow
from app.models.enums import CitizenField as F
from app.models.enums import Operation

logger = logging.getLogger("popreg.cleaning")
STALLED_UPLOAD = timedelta(minutes=10)
CONTEXT_SECONDS = 30.0


class JobUnrunnableError(Exception):
    """The job's agency or purpose no longer allows cleaning."""


def job_context(database: Database, job_id: str) -> JobContext:
    with Session(database.engine) as session:
        job = repository.get_job(session.connection(), job_id)
        if job is None:
            raise JobUnrunnableError("the job is gone")
        agency = agency_repository.get_agency(session, job["agency_code"])
        purpose = (
            None
            if agency is None
            else next((p for p in agency.purposes if p.code == job["purpose"]), None)
        )
        if purpose is None:
            raise JobUnrunnableError(f"purpose {job['purpose']!r} no longer exists")
        policy = to_policy(purpose)
    if not policy.allows(Operation.CLEAN):
        raise JobUnrunnableError(f"purpose {job['purpose']!r} no longer allows cleaning")
    return JobContext(
        job_id=job_id,
        agency_code=job["agency_code"],
        purpose=job["purpose"],
        checked=tuple(F(name) for name in job["checked"]),
        correctable=tuple(F(name) for name in job["correctable"]),
        policy=policy,
    )


class CleaningWorker:
    def __init__(
        self,
        database: Database,
        *,
        lease_seconds: int = 120,
        idle_seconds: float = 0.2,
        name: str = "cleaning-worker",
    ) -> None:
        self.database = database
        self.lease = timedelta(seconds=lease_seconds)
        self.idle = idle_seconds
        self.name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._contexts: dict[str, tuple[JobContext, float]] = {}
        self._last_sweep = 0.0

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self.run_forever, name=self.name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except Exception:
                logger.warning("cleaning chunk failed; it will be retried", exc_info=True)
                worked = False
            if not worked:
                self._stop.wait(self.idle)

    def run_once(self) -> bool:
        """Process one chunk if there is one; False when there was nothing to do."""
        self._sweep()
        token = uuid.uuid4().hex
        claimed_at = utcnow()
        with self.database.engine.begin() as connection:
            claimed = repository.claim_chunk(connection, token, self.lease)
        if claimed is None:
            return False
        job_id, number, data, rows = claimed
        try:
            context = self._context(job_id)
        except JobUnrunnableError as exc:
            with self.database.engine.begin() as connection:
                repository.fail_job(connection, job_id, f"The job cannot run: {exc}.")
            return True
        outcome = processing.process_rows(self.database, context, processing.decode(data))
        with self.database.engine.begin() as connection:
            stored = repository.finish_chunk(
                connection,
                job_id,
                number,
                token,
                processing.encode(outcome.results),
                outcome.counts,
                rows,
                outcome.audit,
                claimed_at,
            )
        if not stored:
            logger.warning(
                "a chunk's lease ran out before its results were stored; another worker has it",
                extra={"fields": {"job": job_id, "chunk": number}},
            )
        return True

    def _context(self, job_id: str) -> JobContext:
        """The job's policy, read again after ``CONTEXT_SECONDS`` (policies can change)."""
        now = time.monotonic()
        cached = self._contexts.get(job_id)
        if cached is not None and now - cached[1] < CONTEXT_SECONDS:
            return cached[0]
        context = job_context(self.database, job_id)
        self._contexts = {
            key: value for key, value in self._contexts.items() if now - value[1] < CONTEXT_SECONDS
        }
        self._contexts[job_id] = (context, now)
        return context

    def _sweep(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < 30:
            return
        self._last_sweep = now
        with self.database.engine.begin() as connection:
            failed = repository.fail_stalled_uploads(connection, utcnow() - STALLED_UPLOAD)
        if failed:
            logger.info("stalled uploads failed", extra={"fields": {"jobs": failed}})
