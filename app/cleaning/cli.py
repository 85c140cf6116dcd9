"""``popreg worker``: cleaning and extract chunks and webhook deliveries in a process of its own."""

from __future__ import annotations

import os
import signal
import threading
from typing import Annotated, Any

import typer
from rich.console import Console

from app.cleaning.worker import CleaningWorker
from app.config import get_settings
from app.db import Database, tune_collector
from app.events.worker import start_dispatcher_thread
from app.extracts.worker import ExtractWorker
from app.jobs import ChunkWorker
from app.logs import configure_logging
from app.schema import schema_state

err = Console(stderr=True)


def worker(
    threads: Annotated[
        int, typer.Option(min=1, max=16, help="Cleaning chunk workers in this process.")
    ] = 1,
    extract_threads: Annotated[
        int, typer.Option(min=0, max=16, help="Extract chunk workers in this process.")
    ] = 1,
    webhooks: Annotated[
        bool, typer.Option(help="Also send webhook deliveries from the outbox.")
    ] = True,
    parent_pid: Annotated[
        int | None,
        typer.Option(
            help="Stop when this process (the one that started this worker) is gone; "
            "`popreg serve --job-workers` starts its workers so.",
            hidden=True,
        ),
    ] = None,
) -> None:
    """Process cleaning and extract chunks and send webhook deliveries until stopped (Ctrl-C).

    Any number of worker processes (and servers) may share one PostgreSQL
    database: each chunk and each delivery is claimed with [cyan]FOR UPDATE SKIP
    LOCKED[/cyan]. On SQLite one claimant at a time takes the next one.
    """
    tune_collector()
    settings = get_settings()
    configure_logging(settings)  # the server's JSON lines, not Python's bare last resort
    # Chunks read citizens all over the file: a big private page cache per connection
    # would hold memory without saving reads (the OS caches the file for every process).
    settings = settings.model_copy(update={"sqlite_cache_mib": min(settings.sqlite_cache_mib, 16)})
    database = Database(settings)
    database.start()  # SQLite: the WAL checkpoints from a thread of its own
    state = schema_state(database.engine)
    if not state.is_current:
        err.print(f"[red]Refusing to start:[/red] {state.describe()}.")
        database.dispose()
        raise typer.Exit(1)
    lease = settings.cleaning_lease_seconds
    workers: list[ChunkWorker[Any, Any, Any]] = [
        CleaningWorker(database, lease_seconds=lease, name=f"worker-{n}") for n in range(threads)
    ]
    workers += [
        ExtractWorker(database, lease_seconds=lease, name=f"extract-{n}")
        for n in range(extract_threads)
    ]
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    if parent_pid is not None:
        _watch_parent(parent_pid, stopping)
    for each in workers:
        each.start()
    sender = start_dispatcher_thread(database, settings, stopping) if webhooks else None
    sending = " and sending webhooks" if webhooks else ""
    err.print(
        f"popreg worker: {threads} thread(s) processing cleaning chunks and "
        f"{extract_threads} extract chunks{sending}; Ctrl-C stops."
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


def _watch_parent(parent: int, stopping: threading.Event) -> None:
    """Stop when ``parent`` is no longer this process's parent (it died; another adopted us).

    The PID comes from the parent itself: by the time this process has started, the
    parent may already be gone.
    """

    def watch() -> None:
        while os.getppid() == parent:
            if stopping.wait(0.5):
                return
        stopping.set()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
