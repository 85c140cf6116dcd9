"""All SQL of sector records: the write transaction's reads and writes, and batched reads.

Writes go through a SQLAlchemy ``Connection`` inside the caller's transaction; reads
for lookups go through ``RawSession`` (plain driver SQL, as identity lookups do).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, insert, select, update

from app.db import RawSession
from app.models import Agency, Citizen, SectorRecord, SectorRecordVersion

Record = dict[str, Any]
IN_CHUNK = 1000  # keys per IN (...) query
HOLDER_COLUMNS = (
    Citizen.id,
    Citizen.personal_id,
    Citizen.full_name,
    Citizen.birth_date,
    Citizen.birth_date_precision,
    Citizen.death_date,
)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


# --- the write transaction ---------------------------------------------------------


def citizens_for_update(connection: Connection, personal_ids: Sequence[str]) -> dict[str, Record]:
    """The citizens a push names, by personal ID, locked until the transaction ends.

    PostgreSQL locks the rows (in id order, so two batches cannot deadlock) and
    concurrent pushes about one citizen take turns; SQLite holds the database's
    write lock already (``BEGIN IMMEDIATE``).
    """
    found: dict[str, Record] = {}
    for chunk in _chunks(sorted(set(personal_ids))):
        query = select(*HOLDER_COLUMNS).where(Citizen.personal_id.in_(chunk)).order_by(Citizen.id)
        if connection.dialect.name == "postgresql":
            query = query.with_for_update()
        for row in connection.execute(query).mappings():
            found[row["personal_id"]] = dict(row)
    return found


def current_records(
    connection: Connection, citizen_ids: Sequence[int], kinds: Sequence[str]
) -> dict[tuple[int, str, str], Record]:
    """Current records of these citizens and kinds, by (citizen id, kind, key)."""
    records: dict[tuple[int, str, str], Record] = {}
    for chunk in _chunks(sorted(set(citizen_ids))):
        query = select(SectorRecord.__table__).where(
            SectorRecord.citizen_id.in_(chunk), SectorRecord.kind.in_(sorted(set(kinds)))
        )
        for row in connection.execute(query).mappings():
            records[(row["citizen_id"], str(row["kind"]), row["key"])] = dict(row)
    return records


def insert_records(connection: Connection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert new records in one statement; their ids, in the order of ``rows``."""
    if not rows:
        return []
    connection.execute(insert(SectorRecord), list(rows))
    ids: dict[tuple[int, str, str], int] = {}
    kinds = sorted({str(row["kind"]) for row in rows})
    for chunk in _chunks(sorted({int(row["citizen_id"]) for row in rows})):
        query = select(
            SectorRecord.id, SectorRecord.citizen_id, SectorRecord.kind, SectorRecord.key
        ).where(SectorRecord.citizen_id.in_(chunk), SectorRecord.kind.in_(kinds))
        for record_id, citizen_id, kind, key in connection.execute(query):
            ids[(int(citizen_id), str(kind), str(key))] = int(record_id)
    return [ids[(int(row["citizen_id"]), str(row["kind"]), str(row["key"]))] for row in rows]


def update_records(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Update records by ``record_id``, one statement for all of them."""
    if not rows:
        return
    columns = [name for name in rows[0] if name != "record_id"]
    statement = (
        update(SectorRecord)
        .where(SectorRecord.id == bindparam("record_id"))
        .values({name: bindparam(name) for name in columns})
    )
    connection.execute(statement, list(rows))


def versions_written(connection: Connection, record_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(record id, version) of the version rows these records have."""
    written: set[tuple[int, int]] = set()
    for chunk in _chunks(sorted(set(record_ids))):
        query = select(SectorRecordVersion.record_id, SectorRecordVersion.version).where(
            SectorRecordVersion.record_id.in_(chunk)
        )
        written.update((int(r), int(v)) for r, v in connection.execute(query))
    return written


def insert_versions(connection: Connection, versions: Sequence[dict[str, Any]]) -> None:
    if versions:
        connection.execute(insert(SectorRecordVersion), list(versions))


def agency_names(connection: Connection, codes: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = connection.execute(select(Agency.code, Agency.name).where(Agency.code.in_(wanted)))
    return {str(code): str(name) for code, name in rows}


# --- reads for lookups, extracts and the wallet -------------------------------------

RECORD_COLUMNS = (
    "r.citizen_id, r.kind, r.number, r.status, r.valid_from, r.valid_until, r.data, "
    "r.agency_code, r.version, r.updated_at, a.name AS agency_name"
)


@lru_cache(maxsize=256)
def _records_sql(ids: int, kinds: int) -> str:
    return (
        f"SELECT {RECORD_COLUMNS} FROM sector_record r "  # noqa: S608 - fixed text and marks
        "LEFT JOIN agency a ON a.code = r.agency_code "
        f"WHERE r.citizen_id IN ({', '.join('?' * ids)}) "
        f"AND r.kind IN ({', '.join('?' * kinds)}) "
        "ORDER BY r.citizen_id, r.kind, r.valid_from DESC, r.number"
    )


def records_of(
    session: RawSession, citizen_ids: Sequence[int], kinds: Sequence[str]
) -> list[Record]:
    """Current records of ``kinds`` for many citizens, a thousand citizens per query.

    Within a citizen and kind, the newest validity first (multi-valued kinds).
    """
    if not citizen_ids or not kinds:
        return []
    wanted = tuple(kinds)
    rows: list[Record] = []
    for chunk in _chunks(list(dict.fromkeys(citizen_ids))):
        rows.extend(session.all(_records_sql(len(chunk), len(wanted)), (*chunk, *wanted)))
    for row in rows:
        row["data"] = json_value(row["data"])
    return rows


def citizen_id_of(session: RawSession, personal_id: str) -> int | None:
    row = session.one("SELECT id FROM citizen WHERE personal_id = ?", (personal_id,))
    return None if row is None else int(row["id"])


def records_of_kind(session: RawSession, citizen_id: int, kind: str) -> list[Record]:
    """A citizen's current records of one kind, with their ids (for their history)."""
    rows = session.all(
        f"SELECT r.id, {RECORD_COLUMNS} FROM sector_record r "  # noqa: S608 - fixed text
        "LEFT JOIN agency a ON a.code = r.agency_code WHERE r.citizen_id = ? AND r.kind = ?",
        (citizen_id, kind),
    )
    for row in rows:
        row["data"] = json_value(row["data"])
    return rows


@lru_cache(maxsize=64)
def _versions_sql(count: int) -> str:
    marks = ", ".join("?" * count)
    return (
        f"SELECT v.record_id, v.version, v.snapshot, v.changed_fields, v.agency_code, "  # noqa: S608
        "v.request_id, v.changed_at, a.name AS agency_name FROM sector_record_version v "
        f"LEFT JOIN agency a ON a.code = v.agency_code WHERE v.record_id IN ({marks})"
    )


def versions_of(session: RawSession, record_ids: Sequence[int]) -> list[Record]:
    """The version rows of these records."""
    rows: list[Record] = []
    for chunk in _chunks(list(record_ids)):
        rows += session.all(_versions_sql(len(chunk)), tuple(chunk))
    for row in rows:
        row["snapshot"] = json_value(row["snapshot"])
        row["changed_fields"] = json_value(row["changed_fields"])
    return rows


def json_value(value: Any) -> Any:
    """JSON columns arrive decoded (psycopg) or as text (sqlite3)."""
    if isinstance(value, str | bytes):
        return orjson.loads(value)
    return value
