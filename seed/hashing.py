"""A content hash of the seeded tables that is equal on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Engine, select

from seed.writers import seeded_tables

NULL = "\\N"


def _canonical(value: Any) -> str:
    # Order matters: bool is an int, datetime is a date.
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        moment: datetime = value
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return moment.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def content_hash(engine: Engine) -> str:
    """SHA-256 over every seeded table, rows ordered by id, columns in model order."""
    digest = hashlib.sha256()
    with engine.connect() as connection:
        for table in seeded_tables():
            digest.update(f"{table.name}\n".encode())
            statement = select(table).order_by(table.c.id)
            result = connection.execution_options(yield_per=20_000).execute(statement)
            for partition in result.partitions():
                lines = ["\x1f".join(map(_canonical, row)) for row in partition]
                digest.update(("\n".join(lines) + "\n").encode())
    return digest.hexdigest()
