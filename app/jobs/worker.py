"""The chunk worker loop: claim a chunk under a lease, work on it, store the outcome.

Runs as threads in the server and in ``popreg worker`` processes alike. A claim
is a lease: if a worker dies, its chunk is taken over when the lease runs out.
The outcome is stored only while the claim still holds, in one transaction with
everything that goes with it (audit records included), so each chunk's work
counts exactly once. Subclasses say how a chunk is claimed, worked and stored.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from abc import ABC, abstractmethod
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

from sqlalchemy import Connection

from app.db import Database, database_unreachable, immediate_transaction
from app.models.base import utcnow

logger = logging.getLogger("popreg.jobs")
CONTEXT_SECONDS = 30.0


class JobUnrunnableError(Exception):
    """The job can no longer run (its agency or purpose no longer allows it)."""


class Claimed(Protocol):
    @property
    def job_id(self) -> str: ...

    @property
    def number(self) -> int: ...


ClaimT = TypeVar("ClaimT", bound=Claimed)
ContextT = TypeVar("ContextT")
OutcomeT = TypeVar("OutcomeT")


class ChunkWorker(ABC, Generic[ClaimT, ContextT, OutcomeT]):
    kind = "job"  # for the logs

    def __init__(
        self,
        database: Database,
        *,
        lease_seconds: int = 120,
        idle_seconds: float = 0.2,
        name: str | None = None,
    ) -> None:
        self.database = database
        self.lease = timedelta(seconds=lease_seconds)
        self.idle = idle_seconds
        self.name = name or f"{self.kind}-worker"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._contexts: dict[str, tuple[ContextT, float]] = {}

    # --- what a kind of job supplies ---------------------------------------------------

    @abstractmethod
    def claim(self, connection: Connection, token: str) -> ClaimT | None:
        """Claim the next chunk under ``token`` for ``self.lease``."""

    @abstractmethod
    def load_context(self, job_id: str) -> ContextT:
        """What working on the job's chunks needs; JobUnrunnableError if it cannot run."""

    @abstractmethod
    def process(self, context: ContextT, claimed: ClaimT) -> OutcomeT:
        """Work on the chunk, outside any write transaction."""

    @abstractmethod
    def store(
        self,
        connection: Connection,
        claimed: ClaimT,
        token: str,
        outcome: OutcomeT,
        claimed_at: datetime,
    ) -> bool:
        """Store the outcome if the claim still holds; False when another worker took over."""

    @abstractmethod
    def fail(self, connection: Connection, job_id: str, error: str) -> None:
        """Mark the job failed."""

    def sweep(self) -> None:
        """Periodic upkeep before each claim (none by default)."""

    # --- the loop ----------------------------------------------------------------------

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
        outage = False
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except Exception as exc:
                if not database_unreachable(exc):
                    logger.warning("%s chunk failed; it will be retried", self.kind, exc_info=True)
                elif not outage:  # one line per outage, not one per attempt
                    logger.warning("database unreachable: %s paused until it is back", self.kind)
                outage = outage or database_unreachable(exc)
                worked = False
            else:
                if outage:
                    logger.info("database reachable again: %s resumed", self.kind)
                    outage = False
            if not worked:
                self._stop.wait(self.idle)

    def run_once(self) -> bool:
        """Work on one chunk if there is one; False when there was nothing to do."""
        self.sweep()
        token = uuid.uuid4().hex
        claimed_at = utcnow()
        with immediate_transaction(self.database.engine) as connection:
            claimed = self.claim(connection, token)
        if claimed is None:
            return False
        try:
            context = self.context(claimed.job_id)
        except JobUnrunnableError as exc:
            with self.database.engine.begin() as connection:
                self.fail(connection, claimed.job_id, f"The job cannot run: {exc}.")
            return True
        outcome = self.process(context, claimed)
        with immediate_transaction(self.database.engine) as connection:
            stored = self.store(connection, claimed, token, outcome, claimed_at)
        if not stored:
            logger.warning(
                "a chunk's lease ran out before its outcome was stored; another worker has it",
                extra={
                    "fields": {"kind": self.kind, "job": claimed.job_id, "chunk": claimed.number}
                },
            )
        return True

    def context(self, job_id: str) -> ContextT:
        """The job's context, loaded again after ``CONTEXT_SECONDS`` (policies can change)."""
        now = time.monotonic()
        cached = self._contexts.get(job_id)
        if cached is not None and now - cached[1] < CONTEXT_SECONDS:
            return cached[0]
        context = self.load_context(job_id)
        self._contexts = {
            key: value for key, value in self._contexts.items() if now - value[1] < CONTEXT_SECONDS
        }
        self._contexts[job_id] = (context, now)
        return context
