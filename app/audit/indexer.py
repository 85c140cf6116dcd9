"""Files audit records under their citizen in the background, off the request path.

Appends only touch pages at the end of the log; indexing by personal ID (random
keys, scattered pages) happens here, a moment later, on another thread. Queries by
citizen read what is not indexed yet straight from the log, so nothing is missed.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from app.audit import repository

logger = logging.getLogger("popreg.audit")


class AuditIndexer:
    def __init__(self, engine: Engine, *, batch: int = 500, idle_seconds: float = 0.2) -> None:
        self.engine = engine
        self.batch = batch
        self.idle = idle_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="audit-indexer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                covered = repository.index_subjects(self.engine, self.batch)
            except Exception:
                logger.warning("audit indexing failed; retrying", exc_info=True)
                covered = 0
            # Small transactions keep the write lock short for the request path.
            self._stop.wait(0.005 if covered == self.batch else self.idle)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
