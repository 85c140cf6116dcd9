"""A job's pace: rows per second since processing started, time left, share done."""

from __future__ import annotations

from datetime import UTC, datetime

from app.models.base import as_utc


def measure(
    *,
    started_at: datetime | None,
    finished_at: datetime | None,
    done: int,
    total: int,
    complete: bool,
    finished: bool,
) -> tuple[float | None, float | None, float]:
    """``(rows_per_second, eta_seconds, progress)``; a complete job is at 1.0."""
    started = as_utc(started_at) if started_at else None
    ended = as_utc(finished_at) if finished_at else None
    rate = eta = None
    if started is not None:
        elapsed = ((ended or datetime.now(UTC)) - started).total_seconds()
        if elapsed > 0 and done:
            rate = round(done / elapsed, 1)
    if rate and not finished:
        eta = round((total - done) / rate, 1)
    progress = 1.0 if complete else (round(done / total, 4) if total else 0.0)
    return rate, eta, progress
