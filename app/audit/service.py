"""Rules of the audit log: verifying the chain, exporting it, paging through it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine

from app.audit import repository
from app.audit.records import CONTENT_COLUMNS, GENESIS_HASH, ChainBreak, check_link


@dataclass(frozen=True, slots=True)
class ChainReport:
    records: int
    head_seq: int
    broken: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def verify_chain(engine: Engine) -> ChainReport:
    """Walk the chain from the genesis hash; report the first record that breaks it."""
    expected, prev_hash, records = 1, GENESIS_HASH, 0
    with engine.connect() as connection:
        head_seq, head_hash = repository.head(connection)
        for row in repository.iter_chain(connection):
            problem = check_link(row, expected, prev_hash)
            if problem is not None:
                return ChainReport(records, head_seq, problem)
            records += 1
            expected, prev_hash = int(row["seq"]) + 1, str(row["hash"])
    if records != head_seq or prev_hash != head_hash:
        missing = ChainBreak(expected, f"records {expected}…{head_seq} are missing from the end")
        return ChainReport(records, head_seq, missing)
    return ChainReport(records, head_seq, None)


EXPORT_COLUMNS = ("seq", *CONTENT_COLUMNS, "prev_hash", "hash")


def export(engine: Engine, *, since: str | None, format: str) -> Iterator[str]:
    """The records (from ``since``, an ISO time) as NDJSON lines or CSV rows."""
    with engine.connect() as connection:
        rows = (
            row
            for row in repository.iter_chain(connection)
            if since is None or row["occurred_at"] >= since
        )
        if format == "ndjson":
            for row in rows:
                yield orjson.dumps({c: row[c] for c in EXPORT_COLUMNS}).decode() + "\n"
            return
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_COLUMNS)
        for row in rows:
            writer.writerow([_csv_value(row[c]) for c in EXPORT_COLUMNS])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()


def _csv_value(value: Any) -> Any:
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return value
