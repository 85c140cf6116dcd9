"""Sends the webhook outbox: at least once, signed, with backoff and jitter, in order per citizen.

A delivery is claimed with a lease, audited (once) before its first attempt, sent,
and its outcome written: delivered on 2xx; otherwise retried after
``base * 2**(failures-1)`` seconds (capped, times a random factor in [0.5, 1]),
and dead after ``max_attempts`` failures until someone asks for a redelivery.
A process that dies mid-send leaves the claim to expire: the delivery is sent
again, which is why receivers deduplicate on the event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from app import __version__
from app.audit.records import AuditEntry
from app.audit.writer import AuditWriter
from app.config import Settings
from app.db import Database, database_unreachable, immediate_transaction
from app.events import outbox
from app.events.signing import SIGNATURE_HEADER, signature_header
from app.models import DeliveryState
from app.models.base import utcnow

logger = logging.getLogger("popreg.webhooks")
USER_AGENT = f"popreg-webhooks/{__version__}"
CLAIM_AHEAD = 4


def backoff_seconds(failures: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with jitter: half to all of ``min(cap, base * 2**(failures-1))``."""
    ceiling = min(cap, base * 2.0 ** max(failures - 1, 0))
    return float(ceiling * (0.5 + rng.random() / 2))


@dataclass(slots=True)
class Attempt:
    """The outcome of one send, waiting to be written with others in one transaction."""

    delivery: dict[str, Any]
    started: datetime
    duration_ms: int
    status: int | None
    error: str | None
    audited: bool


class WebhookDispatcher:
    """Claims due deliveries, keeps up to ``webhook_concurrency`` in flight, records outcomes.

    Outcomes are written in batches (one transaction for every send that finished in
    the last few milliseconds): on SQLite each transaction takes the database's one
    write lock, which the civil-registry writes need too.
    """

    def __init__(
        self,
        database: Database,
        audit: AuditWriter,
        settings: Settings,
        *,
        client: httpx.AsyncClient | None = None,
        name: str = "webhooks",
    ) -> None:
        self.database = database
        self.audit = audit
        self.settings = settings
        self.name = name
        self.token = secrets.token_hex(8)  # this dispatcher's claims
        self._client = client
        self._owns_client = client is None
        self._wakeup = asyncio.Event()
        self._finished = asyncio.Event()
        self._done: list[Attempt] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._rng = random.Random()  # noqa: S311 - jitter, not a secret
        # Claimed ahead of sending: a few batches' worth, so that under a backlog one
        # claim transaction serves many sends. A claim waits for at most
        # CLAIM_AHEAD rounds of sends, each bounded by the receiver timeout.
        self.capacity = settings.webhook_concurrency * CLAIM_AHEAD
        self._sending = asyncio.Semaphore(settings.webhook_concurrency)
        self.lease = timedelta(seconds=(CLAIM_AHEAD + 1) * settings.webhook_timeout_seconds + 5)

    def start(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.settings.webhook_timeout_seconds,
                follow_redirects=False,
                headers={"User-Agent": USER_AGENT},
            )
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._claim_forever(), name=f"{self.name}-claims"),
            loop.create_task(self._record_forever(), name=f"{self.name}-outcomes"),
        ]

    def wake(self) -> None:
        """Look at the outbox now (a change was just recorded) instead of at the next poll."""
        self._wakeup.set()

    async def stop(self) -> None:
        """Let deliveries in flight finish (up to the receiver timeout), record them, stop."""
        self._stopping = True
        self._wakeup.set()
        if self._in_flight:
            await asyncio.wait(
                set(self._in_flight), timeout=self.settings.webhook_timeout_seconds + 1
            )
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        with contextlib.suppress(SQLAlchemyError):
            await run_in_threadpool(self._record, self._take_done())
        if self._owns_client and self._client is not None:
            await self._client.aclose()

    async def run_once(self) -> int:
        """Claim, audit, send and record one batch; returns how many were attempted."""
        claimed = await run_in_threadpool(self._claim, self.settings.webhook_concurrency)
        if not claimed:
            return 0
        audited = await self._audit(claimed)
        attempts = await asyncio.gather(*(self._send(d, audited) for d in claimed))
        await run_in_threadpool(self._record, list(attempts))
        return len(claimed)

    async def _claim_forever(self) -> None:
        capacity = self.capacity
        while not self._stopping:
            free = capacity - len(self._in_flight)
            claimed: list[dict[str, Any]] = []
            if free > 0:
                try:
                    claimed = await run_in_threadpool(self._claim, free)
                except SQLAlchemyError as exc:
                    if database_unreachable(exc):  # an outage: no stack, tried every poll
                        logger.warning("webhook outbox unreachable; retrying")
                    else:
                        logger.exception("webhook outbox unavailable; retrying")
            if claimed:
                audited = await self._audit(claimed)
                for delivery in claimed:
                    task = asyncio.get_running_loop().create_task(self._send_one(delivery, audited))
                    self._in_flight.add(task)
                    task.add_done_callback(self._in_flight.discard)
                continue
            # Woken by a new event, by an outcome recorded (the next delivery about that
            # citizen may now go), or by the poll interval (retries falling due).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.settings.webhook_poll_seconds)
            self._wakeup.clear()

    async def _send_one(self, delivery: dict[str, Any], audited: bool) -> None:
        async with self._sending:
            attempt = await self._send(delivery, audited)
        # Not ``self._done.append(await …)``: that binds the list before the await, and
        # the recorder may have swapped it for a new one meanwhile (the outcome was lost).
        self._done.append(attempt)
        self._finished.set()

    async def _record_forever(self) -> None:
        while True:
            await self._finished.wait()
            await asyncio.sleep(0.005)  # sends finishing together share a transaction
            self._finished.clear()
            done = self._take_done()
            try:
                await run_in_threadpool(self._record, done)
            except Exception as exc:
                # Their claims stay; when the leases run out the deliveries are sent again.
                logger.warning(
                    "webhook outcomes not recorded; they will be retried",
                    exc_info=not database_unreachable(exc),
                )
            self._wakeup.set()

    def _take_done(self) -> list[Attempt]:
        done, self._done = self._done, []
        return done

    def _claim(self, limit: int) -> list[dict[str, Any]]:
        now = utcnow()
        with self.database.engine.connect() as connection:
            if not outbox.has_due(connection, now):
                return []
        with immediate_transaction(self.database.engine) as connection:
            return outbox.claim_due(connection, self.token, now, self.lease, limit)

    async def _audit(self, claimed: list[dict[str, Any]]) -> bool:
        """Audit the disclosures not audited yet; False if the audit log cannot be written."""
        fresh = [d for d in claimed if not d["audited"]]
        if not fresh:
            return True
        entries = [
            AuditEntry(
                operation="webhook_delivery",
                outcome="disclosed",
                agency_code=d["agency_code"],
                purpose=d["purpose"],
                personal_id=d["personal_id"],
                fields=tuple(d["fields"]),
                detail={
                    "subscription_id": d["subscription_id"],
                    "event": d["event_seq"],
                    "delivery": d["id"],
                },
            )
            for d in fresh
        ]
        try:
            await self.audit.record(*entries)
        except Exception:
            logger.warning("audit log unavailable: deliveries held back")
            return False
        return True

    async def _send(self, delivery: dict[str, Any], audited: bool) -> Attempt:
        started = utcnow()
        clock = time.perf_counter()
        status: int | None = None
        error: str | None = None
        if not audited and not delivery["audited"]:
            error = "not sent: the audit log could not be written"
        else:
            status, error = await self._post(delivery)
        duration_ms = round((time.perf_counter() - clock) * 1000)
        return Attempt(delivery, started, duration_ms, status, error, audited)

    async def _post(self, delivery: dict[str, Any]) -> tuple[int | None, str | None]:
        assert self._client is not None
        body = delivery["body"].encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature_header(delivery["secret"], body),
            "X-Popreg-Event-Id": str(delivery["event_seq"]),
            "X-Popreg-Event-Type": delivery["event_type"],
            "X-Popreg-Delivery-Id": str(delivery["id"]),
            "X-Popreg-Attempt": str(delivery["attempts"]),
        }
        try:
            response = await self._client.post(delivery["url"], content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:300]
        except Exception as exc:  # a failed attempt all the same; never lose its outcome
            logger.exception("unexpected error sending delivery %s", delivery["id"])
            return None, f"{type(exc).__name__}: {exc}"[:300]
        if 200 <= response.status_code < 300:
            return response.status_code, None
        return response.status_code, f"HTTP {response.status_code}"

    def _record(self, attempts: list[Attempt]) -> None:
        """Write every outcome and its attempt-log row in one transaction."""
        if not attempts:
            return
        now = utcnow()
        taken_over = 0
        with immediate_transaction(self.database.engine) as connection:
            for attempt in attempts:
                values, log = self._outcome(attempt, now)
                kept = outbox.finish_attempt(
                    connection, attempt.delivery["id"], self.token, values, log
                )
                taken_over += not kept
        if taken_over:
            logger.info("%d deliveries were taken over after their lease ran out", taken_over)

    def _outcome(self, attempt: Attempt, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
        tries = int(attempt.delivery["attempts"])
        values: dict[str, Any] = {"last_status": attempt.status, "last_error": attempt.error}
        if attempt.audited:
            values["audited"] = True
        if attempt.error is None:
            outcome = "delivered"
            values.update(state=DeliveryState.DELIVERED, delivered_at=now)
        elif tries >= self.settings.webhook_max_attempts:
            outcome = "dead"
            values.update(state=DeliveryState.DEAD)
        else:
            outcome = "retry"
            wait = backoff_seconds(
                tries,
                self.settings.webhook_backoff_base_seconds,
                self.settings.webhook_backoff_max_seconds,
                self._rng,
            )
            values.update(
                state=DeliveryState.PENDING, next_attempt_at=now + timedelta(seconds=wait)
            )
        log = {
            "number": tries,
            "started_at": attempt.started,
            "duration_ms": attempt.duration_ms,
            "status_code": attempt.status,
            "error": attempt.error,
            "outcome": outcome,
        }
        return values, log
