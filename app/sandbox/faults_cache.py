"""Each process's copy of the fault rules, its hit counts not yet written, and its dice.

Rules live in the database so that every server process applies the same ones.
A process re-reads them at most every ``refresh_seconds`` (one small query, not one
per request), and at once when it changed them itself. Hits are counted in memory
and added to the stored counts at each refresh.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool

from app.db import Database, immediate_transaction
from app.sandbox import faults_repository as repository
from app.sandbox import faults_service as service
from app.sandbox.faults_rules import Rule

logger = logging.getLogger("popreg.faults")


class FaultRules:
    def __init__(
        self,
        database: Database,
        *,
        refresh_seconds: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.refresh_seconds = refresh_seconds
        self.rng = rng or random.Random()  # noqa: S311 - fault dice, not a secret
        self.rules: tuple[Rule, ...] = ()
        self.next_refresh = 0.0  # time.monotonic() of the next re-read
        self._generation = 0  # bumped by every change of ``rules``
        self._lock = threading.Lock()
        self._hits: dict[str, int] = {}
        self._flushing: dict[str, int] = {}

    def hit(self, rule_id: str) -> None:
        with self._lock:
            self._hits[rule_id] = self._hits.get(rule_id, 0) + 1

    def unflushed(self) -> dict[str, int]:
        """Hits of this process not yet in the stored counts."""
        with self._lock:
            pending = dict(self._flushing)
            for rule_id, count in self._hits.items():
                pending[rule_id] = pending.get(rule_id, 0) + count
        return pending

    def install(self, rules: Iterable[Rule]) -> None:
        """Use these rules now (this process just changed them, not yet committed)."""
        with self._lock:
            self.rules = tuple(rules)
            self._generation += 1
            # A re-read before the change is committed would bring the old rules back.
            self.next_refresh = time.monotonic() + self.refresh_seconds

    async def refresh(self) -> None:
        """Write this process's hits, then re-read the rules (in a worker thread)."""
        self.next_refresh = time.monotonic() + self.refresh_seconds
        with self._lock:
            generation = self._generation
            hits, self._hits = self._hits, {}
            self._flushing = hits
        try:
            if hits:
                await run_in_threadpool(self._write_hits, hits)
        except Exception as exc:
            logger.warning("fault rule hits not written: %s", type(exc).__name__)
            with self._lock:
                for rule_id, count in hits.items():
                    self._hits[rule_id] = self._hits.get(rule_id, 0) + count
        finally:
            with self._lock:
                self._flushing = {}
        try:
            rules = await run_in_threadpool(self._read_rules)
        except Exception as exc:
            # A database not migrated yet, or down: keep the rules we have, try again later.
            logger.warning("fault rules not refreshed: %s", type(exc).__name__)
            return
        with self._lock:
            if self._generation == generation:  # else: installed meanwhile, newer than this
                self.rules = tuple(rules)
                self._generation += 1

    def _write_hits(self, hits: Mapping[str, int]) -> None:
        with immediate_transaction(self.database.engine) as connection:
            repository.add_hits(connection, hits)

    def _read_rules(self) -> list[Rule]:
        with self.database.session_factory() as session:
            return service.active_rules(session, datetime.now(UTC))
