"""Batches drawn in helper processes while the main process loads its own share.

Every batch depends only on (seed, batch index, number of batches), so batches can be
drawn anywhere. The main process draws the first contiguous range of batches and
loads it straight into the target; each helper draws the next range into a scratch
file (a plain SQLite file for a SQLite target, COPY text for PostgreSQL), which the
main process appends inside the same transaction once the helper is done.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import sqlite3
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seed.numbers import Allocators
from seed.population import draw_population
from seed.records import SECTOR_RECORD_COLUMNS
from seed.rows import CITIZEN_COLUMNS, HOUSEHOLD_COLUMNS, IDENTITY_CARD_COLUMNS, Rows, build_rows

# SQLite attaches at most 10 databases by default; stay well below.
SCRATCH_FILES_PER_HELPER = 4
TABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("household", HOUSEHOLD_COLUMNS),
    ("citizen", CITIZEN_COLUMNS),
    ("identity_card", IDENTITY_CARD_COLUMNS),
    ("sector_record", SECTOR_RECORD_COLUMNS),
)


@dataclass(frozen=True, slots=True)
class Batch:
    index: int
    size: int
    first_citizen_id: int


@dataclass(frozen=True, slots=True)
class HelperJob:
    seed: int
    batches: tuple[Batch, ...]
    batch_count: int
    scratch: str  # a directory for COPY text, or a prefix for scratch SQLite files
    copy_text: bool
    # SQLite: the batches are split over this many scratch files; each is handed to the
    # main process as soon as it is complete, so appending overlaps drawing.
    chunks: int = 1

    def chunk_files(self) -> list[str]:
        return [f"{self.scratch}-{number}.db" for number in range(self.chunks)]

    def chunk_of(self, position: int) -> int:
        return position * self.chunks // len(self.batches)


def draw_batch(seed: int, batch: Batch, batch_count: int) -> Rows:
    rng = np.random.default_rng([seed, batch.index])
    draft = draw_population(rng, batch.size)
    return build_rows(
        draft, rng, Allocators.for_batch(batch.index, batch_count), batch.first_citizen_id
    )


def plan_batches(first_citizen_id: int, sizes: Sequence[int]) -> list[Batch]:
    batches, next_id = [], first_citizen_id
    for index, size in enumerate(sizes):
        batches.append(Batch(index, size, next_id))
        next_id += size
    return batches


def split_work(
    batches: list[Batch], helpers: int, *, main_weight: float = 1.0
) -> tuple[list[Batch], list[list[Batch]]]:
    """The main process's share first, then one contiguous range per helper.

    ``main_weight`` is the main process's share relative to a helper's: below 1 when
    loading costs the main process more per batch than a helper pays for its scratch.
    """
    if helpers <= 0 or len(batches) < 2:
        return batches, []
    weights = [main_weight] + [1.0] * helpers
    bounds = np.round(np.cumsum(weights) / sum(weights) * len(batches)).astype(int).tolist()
    ranges, start = [], 0
    for end in bounds:
        ranges.append(batches[start:end])
        start = end
    return ranges[0], [r for r in ranges[1:] if r]


# --- COPY text ---------------------------------------------------------------------

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = "\\N"


def _copy_column(values: tuple[Any, ...]) -> list[str]:
    """One column in COPY text format; most columns need a single pass."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, bool):
        return [_NULL if v is None else "t" if v else "f" for v in values]
    if isinstance(sample, int):
        return [_NULL if v is None else str(v) for v in values]
    text = [_NULL if v is None else v for v in values]
    joined = "".join(text)
    # Every NULL marker brings one backslash; any other one, or a tab or line break,
    # needs escaping (generated values never have them, catalogue text might).
    if joined.count("\\") != text.count(_NULL) or any(c in joined for c in "\t\n\r"):
        text = [_NULL if v is None else v.translate(_ESCAPES) for v in values]
    return text


def copy_text(rows: list[tuple[Any, ...]]) -> str:
    """Rows in PostgreSQL's COPY text format, built column by column."""
    if not rows:
        return ""
    columns = [_copy_column(column) for column in zip(*rows, strict=True)]
    return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


# --- helper process --------------------------------------------------------------


def create_scratch_tables(path: str) -> None:
    """Untyped tables: values keep the storage class they were bound with."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode = OFF")
        for table, columns in TABLES:
            db.execute(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(columns)})")


def _run_helper(job: HelperJob, messages: Any) -> None:
    try:
        counts = {table: 0 for table, _ in TABLES}
        db: sqlite3.Connection | None = None
        for position, batch in enumerate(job.batches):
            rows = draw_batch(job.seed, batch, job.batch_count)
            for table, _ in TABLES:
                counts[table] += len(getattr(rows, table))
            if job.copy_text:
                ready: str | None = _write_copy_folder(job, batch, rows)
            else:
                chunk = job.chunk_of(position)
                if db is None:
                    db = sqlite3.connect(job.chunk_files()[chunk], isolation_level=None)
                    db.execute("PRAGMA synchronous = OFF")
                    db.execute("PRAGMA journal_mode = OFF")
                    db.execute("BEGIN")
                for table, columns in TABLES:
                    placeholders = ", ".join("?" * len(columns))
                    statement = f"INSERT INTO {table} VALUES ({placeholders})"  # noqa: S608
                    db.executemany(statement, getattr(rows, table))
                ready = None
                last_of_chunk = (
                    position + 1 == len(job.batches) or job.chunk_of(position + 1) != chunk
                )
                if last_of_chunk:
                    db.execute("COMMIT")
                    db.close()
                    db = None
                    ready = job.chunk_files()[chunk]
            messages.put(("progress", (batch.size, ready)))
        messages.put(("done", counts))
    except BaseException:
        messages.put(("error", traceback.format_exc()))


def _write_copy_folder(job: HelperJob, batch: Batch, rows: Rows) -> str:
    """One folder per batch: the main process streams it as soon as it is ready."""
    directory = os.path.join(job.scratch, f"batch{batch.index:06d}")
    os.makedirs(directory)
    for table, _ in TABLES:
        text = copy_text(getattr(rows, table))
        Path(directory, f"{table}.copy").write_text(text, encoding="utf-8")
    return directory


class Helpers:
    """Helper processes (spawned: safe whatever threads the parent runs)."""

    def __init__(
        self,
        seed: int,
        ranges: list[list[Batch]],
        batch_count: int,
        scratch_dir: str,
        *,
        copy_text: bool,
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self.messages = context.Queue()
        self.jobs: list[HelperJob] = []
        for number, batches in enumerate(ranges):
            scratch = os.path.join(scratch_dir, f"helper{number}")
            chunks = 1 if copy_text else min(SCRATCH_FILES_PER_HELPER, len(batches))
            job = HelperJob(seed, tuple(batches), batch_count, scratch, copy_text, chunks)
            if copy_text:
                os.makedirs(scratch, exist_ok=True)
            for path in [] if copy_text else job.chunk_files():
                create_scratch_tables(path)
            self.jobs.append(job)
        self.processes = [
            context.Process(target=_run_helper, args=(job, self.messages), daemon=True)
            for job in self.jobs
        ]
        for process in self.processes:
            process.start()
        self.counts = {table: 0 for table, _ in TABLES}
        self._running = len(self.processes)

    @property
    def scratch_files(self) -> list[str]:
        """SQLite scratch files, to attach before the load transaction begins."""
        return [path for job in self.jobs if not job.copy_text for path in job.chunk_files()]

    def poll(self, *, block: bool) -> Iterator[tuple[int, str | None]]:
        """Batches finished since the last poll, as (citizens, ready).

        ``ready`` names output the main process can append now: a COPY folder, or a
        completed scratch file. Raises if a helper failed.

        Raises if a helper failed.
        """
        while self._running:
            try:
                kind, payload = self.messages.get(timeout=1.0 if block else 0.0)
            except queue.Empty:
                if not block:
                    return
                if any(p.exitcode not in (None, 0) for p in self.processes):
                    self.stop()
                    raise RuntimeError("a seeding helper process died") from None
                continue
            if kind == "progress":
                size, directory = payload
                yield int(size), directory
            elif kind == "done":
                self._running -= 1
                for table, count in payload.items():
                    self.counts[table] += count
            else:
                self.stop()
                raise RuntimeError(f"a seeding helper process failed:\n{payload}")

    def stop(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
            process.join()
        self.messages.close()
