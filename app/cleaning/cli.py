"""``popreg worker``: process cleaning chunks in a process of its own."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer
from rich.console import Console

from app.cleaning.worker import CleaningWorker
from app.config import get_settings
from app.db import Database, tune_collector
from app.schema import schema_state

err = Console(stderr=True)


def worker(
    threads: Annotated[int, typer.Option(min=1, max=16, help="Chunk workers in this process.")] = 1,
) -> None:
    """Process cleaning-job chunks until stopped (Ctrl-C or SIGTERM).

    Any number of worker processes (and servers) may share one PostgreSQL
    database: each chunk is claimed with [cyan]FOR UPDATE SKIP LOCKED[/cyan]. On
    SQLite one claimant at a time takes the next chunk.
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
    err.print(f"popreg worker: {threads} thread(s) processing cleaning chunks; Ctrl-C stops.")
    try:
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for each in workers:
            each.stop()
        database.dispose()
