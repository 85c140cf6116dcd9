"""The webhook dispatcher outside a server: an event loop of its own in a ``popreg worker``."""

from __future__ import annotations

import asyncio
import threading

from app.audit.writer import AuditWriter
from app.config import Settings
from app.db import Database
from app.events.dispatcher import WebhookDispatcher


def start_dispatcher_thread(
    database: Database, settings: Settings, stopping: threading.Event
) -> threading.Thread:
    """Send webhook deliveries until ``stopping`` is set; returns the running thread."""

    async def run() -> None:
        audit = AuditWriter(database, enabled=settings.audit_enabled)
        dispatcher = WebhookDispatcher(database, audit, settings, name="worker-webhooks")
        dispatcher.start()
        try:
            # A threading.Event set from the signal handler's thread: wait for it off the loop.
            await asyncio.to_thread(stopping.wait)
        finally:
            await dispatcher.stop()
            await audit.close()

    thread = threading.Thread(target=asyncio.run, args=(run(),), name="webhooks", daemon=True)
    thread.start()
    return thread
