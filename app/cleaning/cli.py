"""``popreg worker``: cleaning chunks and webhook deliveries in a process of its own."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer
from rich.console import Console

from app.cleaning.worker import CleaningWorker
from app.config import get_settings
from app.db import Database, tune_collector
from app.events.worker import start_dispatcher_thread
from app.schema import schema_state

err = Console(stderr=True)


def worker(
    threads: Annotated[int, typer.Option(min=1, max=16, help="Chunk workers in this process.")] = 1,
    webhooks: Annotated[
        bool, typer.Option(help="Also send webhook deliveries from the outbox.")
    ] = True,
) -> None:
    """Process cleaning-job chunks and send webhook deliveries until stopped (Ctrl-C or SIGTERM).

    Any number of worker processes (and servers) may share one PostgreSQL
    database: each chunk and each delivery is claimed with [cyan]FOR UPDATE SKIP
    LOCKED[/cyan]. On SQLite one claimant at a time takes the next one.
    """
    tune_collector()
    settings = get_settings()
    database = Database(settings)
    state = schema_state(database.engine)
    if not state.is_current:
        err.print(f"[red]Refusing to start:[/red] {state.describe()}.")
        database.dispose()
        raise typer.Exit(1)
    workers = [
        CleaningWorker(database, lease_seconds=settings.cleaning_lease_seconds, name=f"worker-{n}")
        for n in range(threads)
    ]
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    for each in workers:
        each.start()
    sender = start_dispatcher_thread(database, settings, stopping) if webhooks else None
    sending = " and sending webhooks" if webhooks else ""
    err.print(
        f"popreg worker: {threads} thread(s) processing cleaning chunks{sending}; Ctrl-C stops."
    )
    try:
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stopping.set()
        for each in workers:
            each.stop()
        if sender is not None:
            sender.join(timeout=settings.webhook_timeout_seconds + 5)
        database.dispose()
