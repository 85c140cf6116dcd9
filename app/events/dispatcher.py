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
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from app import __version__
from app.audit.records import AuditEntry
from app.audit.writer import AuditWriter
from app.config import Settings
from app.db import Database, immediate_transaction
from app.events import outbox
from app.events.signing import SIGNATURE_HEADER, signature_header
from app.models import DeliveryState
from app.models.base import utcnow

logger = logging.getLogger("popreg.webhooks")
USER_AGENT = f"popreg-webhooks/{__version__}"


def backoff_seconds(failures: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with jitter: half to all of ``min(cap, base * 2**(failures-1))``."""
    ceiling = min(cap, base * 2.0 ** max(failures - 1, 0))
    return float(ceiling * (0.5 + rng.random() / 2))


class WebhookDispatcher:
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
        self._client = client
        self._owns_client = client is None
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._rng = random.Random()  # noqa: S311 - jitter, not a secret
        self.lease = timedelta(seconds=2 * settings.webhook_timeout_seconds + 5)

    def start(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.settings.webhook_timeout_seconds,
                follow_redirects=False,
                headers={"User-Agent": USER_AGENT},
            )
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    def wake(self) -> None:
        """Look at the outbox now (a change was just recorded) instead of at the next poll."""
        self._wakeup.set()

    async def stop(self) -> None:
        """Let deliveries in flight finish (up to the receiver timeout), then stop."""
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(
                    asyncio.shield(self._task), self.settings.webhook_timeout_seconds + 1
                )
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
            self._task = None
        if self._owns_client and self._client is not None:
            await self._client.aclose()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                sent = await self.run_once()
            except SQLAlchemyError:
                logger.exception("webhook outbox unavailable; retrying")
                sent = 0
            if sent or self._stopping:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.settings.webhook_poll_seconds)
            self._wakeup.clear()

    async def run_once(self) -> int:
        """Claim, audit and send what is due; returns how many deliveries were attempted."""
        token = secrets.token_hex(8)
        claimed = await run_in_threadpool(self._claim, token)
        if not claimed:
            return 0
        audited = await self._audit(claimed)
        await asyncio.gather(*(self._send(token, d, audited) for d in claimed))
        return len(claimed)

    def _claim(self, token: str) -> list[dict[str, Any]]:
        now = utcnow()
        with self.database.engine.connect() as connection:
            if not outbox.has_due(connection, now):
                return []
        with immediate_transaction(self.database.engine) as connection:
            return outbox.claim_due(
                connection, token, now, self.lease, self.settings.webhook_concurrency
            )

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
        ids = [d["id"] for d in fresh]
        with self.database.engine.begin() as connection:
            outbox.mark_audited(connection, ids)
        return True

    async def _send(self, token: str, delivery: dict[str, Any], audited: bool) -> None:
        started = utcnow()
        clock = time.perf_counter()
        status: int | None = None
        error: str | None = None
        if not audited and not delivery["audited"]:
            error = "not sent: the audit log could not be written"
        else:
            status, error = await self._post(delivery)
        duration_ms = round((time.perf_counter() - clock) * 1000)
        await run_in_threadpool(self._finish, token, delivery, started, duration_ms, status, error)

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
            return None, f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__
        if 200 <= response.status_code < 300:
            return response.status_code, None
        return response.status_code, f"HTTP {response.status_code}"

    def _finish(
        self,
        token: str,
        delivery: dict[str, Any],
        started: datetime,
        duration_ms: int,
        status: int | None,
        error: str | None,
    ) -> None:
        attempts = int(delivery["attempts"])
        now = utcnow()
        values: dict[str, Any] = {"last_status": status, "last_error": error}
        if error is None:
            outcome = "delivered"
            values.update(state=DeliveryState.DELIVERED, delivered_at=now)
        elif attempts >= self.settings.webhook_max_attempts:
            outcome = "dead"
            values.update(state=DeliveryState.DEAD)
        else:
            outcome = "retry"
            wait = backoff_seconds(
                attempts,
                self.settings.webhook_backoff_base_seconds,
                self.settings.webhook_backoff_max_seconds,
                self._rng,
            )
            values.update(
                state=DeliveryState.PENDING, next_attempt_at=now + timedelta(seconds=wait)
            )
        attempt = {
            "number": attempts,
            "started_at": started,
            "duration_ms": duration_ms,
            "status_code": status,
            "error": error,
            "outcome": outcome,
        }
        with self.database.engine.begin() as connection:
            kept = outbox.finish_attempt(connection, delivery["id"], token, values, attempt)
        if not kept:
            logger.info("delivery %s was taken over after its lease ran out", delivery["id"])
