"""All SQL of the audit log. Appends are serialised by the ``audit_head`` row.

PostgreSQL: ``SELECT … FOR UPDATE`` on the head row, so several processes
append to one chain in turn. SQLite: ``BEGIN IMMEDIATE`` takes the database's
write lock before the head is read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Select, func, insert, select, union_all, update

from app.audit.records import AuditEntry, chain
from app.db import sqlite_write_lock
from app.models import AuditEvent, AuditHead, AuditIndexState, AuditSubject

EVENT_COLUMNS = tuple(column.name for column in AuditEvent.__table__.columns)


def append(
    engine: Engine, entries: Sequence[AuditEntry], *, sqlite_connection: Any = None
) -> list[dict[str, Any]]:
    """Append ``entries`` to the chain in one transaction; returns the rows written.

    On SQLite, ``sqlite_connection`` is a DBAPI connection to write on instead of one
    from the pool (see ``AuditWriter``); it is left open and outside a transaction.
    """
    if engine.dialect.name == "sqlite":
        return _append_sqlite(engine, entries, sqlite_connection)
    with engine.begin() as connection:
        head = connection.execute(
            select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1).with_for_update()
        ).one()
        return _write(connection, entries, head.seq, head.hash)


_SQLITE_INSERT = (
    f"INSERT INTO audit_event ({', '.join(EVENT_COLUMNS)}) "  # noqa: S608 - fixed column names
    f"VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
)
_JSON_COLUMNS = frozenset({"fields", "detail"})


def _append_sqlite(
    engine: Engine, entries: Sequence[AuditEntry], kept: Any
) -> list[dict[str, Any]]:
    # Plain DBAPI: on SQLite the ORM's statement machinery would cost more than the write.
    connection = kept if kept is not None else engine.raw_connection()
    try:
        cursor = connection.cursor()
        with sqlite_write_lock(engine):
            # A deferred BEGIN would read the head under a shared lock and then fail to
            # upgrade it if another process did the same; IMMEDIATE waits its turn instead.
            cursor.execute("BEGIN IMMEDIATE")
            try:
                head_seq, head_hash = cursor.execute(
                    "SELECT seq, hash FROM audit_head WHERE id = 1"
                ).fetchone()
                rows = chain(entries, head_seq, head_hash)
                cursor.executemany(_SQLITE_INSERT, [_sqlite_values(row) for row in rows])
                cursor.execute(
                    "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1",
                    (rows[-1]["seq"], rows[-1]["hash"]),
                )
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            finally:
                cursor.close()
        return rows
    finally:
        if kept is None:
            connection.close()


def append_within(connection: Connection, entries: Sequence[AuditEntry]) -> list[dict[str, Any]]:
    """Append ``entries`` inside the caller's transaction, with the caller's other writes.

    For work whose result and audit records must commit together (a cleaning
    chunk). On SQLite the transaction must already hold the write lock (have
    written something), so reading the head cannot race another appender.
    """
    if not entries:
        return []
    head = select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)
    if connection.dialect.name == "postgresql":
        row = connection.execute(head.with_for_update()).one()
        return _write(connection, entries, row.seq, row.hash)
    # SQLite: plain executemany of tuples, as in ``_append_sqlite`` (a cleaning chunk
    # appends thousands of records at once).
    row = connection.execute(head).one()
    rows = chain(entries, row.seq, row.hash)
    connection.exec_driver_sql(_SQLITE_INSERT, [_sqlite_values(r) for r in rows])
    connection.exec_driver_sql(
        "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1",
        (rows[-1]["seq"], rows[-1]["hash"]),
    )
    return rows


def _sqlite_values(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(_json(row[c]) if c in _JSON_COLUMNS else row[c] for c in EVENT_COLUMNS)


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _write(
    connection: Connection, entries: Sequence[AuditEntry], head_seq: int, head_hash: str
) -> list[dict[str, Any]]:
    rows = chain(entries, head_seq, head_hash)
    connection.execute(insert(AuditEvent), rows)
    last = rows[-1]
    connection.execute(
        update(AuditHead).where(AuditHead.id == 1).values(seq=last["seq"], hash=last["hash"])
    )
    return rows


def head(connection: Connection) -> tuple[int, str]:
    row = connection.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    return int(row.seq), str(row.hash)


def iter_chain(connection: Connection, batch: int = 5000) -> Iterator[dict[str, Any]]:
    """Every record in chain order, read in batches."""
    after = 0
    while True:
        rows = connection.execute(
            select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield dict(row._mapping)
        after = rows[-1].seq


def count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


def events(
    connection: Connection,
    *,
    after: int,
    limit: int,
    agency_code: str | None = None,
    personal_id: str | None = None,
    operation: str | None = None,
    outcome: str | None = None,
    purpose: str | None = None,
    since: str | None = None,
    until: str | None = None,
    request_id: str | None = None,
) -> list[dict[str, Any]]:
    """A page of records in chain order, after the ``after`` sequence number."""
    query = select(AuditEvent).where(AuditEvent.seq > after)
    if personal_id is not None:
        about = seqs_about(personal_id, buckets=subject_buckets(connection), after=after)
        query = query.where(AuditEvent.seq.in_(about))
    filters = {
        AuditEvent.agency_code: agency_code,
        AuditEvent.operation: operation,
        AuditEvent.outcome: outcome,
        AuditEvent.purpose: purpose,
        AuditEvent.request_id: request_id,
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    rows = connection.execute(query.order_by(AuditEvent.seq).limit(limit)).all()
    return [dict(row._mapping) for row in rows]


def newest_seq(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.max(AuditEvent.seq))).scalar_one_or_none() or 0)


def index_mark(connection: Connection) -> int:
    """The last ``seq`` whose citizen is filed in the citizen index."""
    return int(
        connection.execute(select(AuditIndexState.seq).where(AuditIndexState.id == 1)).scalar_one()
    )


def unindexed_count(engine: Engine) -> int:
    """How many records the citizen index has not filed yet."""
    with engine.connect() as connection:
        newest = connection.execute(select(func.max(AuditEvent.seq))).scalar_one_or_none()
        filed = index_mark(connection)
    return max(0, (newest or 0) - filed)


# The citizen index is keyed (bucket, personal ID, seq), a bucket per million
# records: new entries land in the newest bucket's small subtree, whose pages stay
# in the cache, instead of at random places in one index that grows with the log.
BUCKET = 1_000_000


def unfiled_subjects(engine: Engine, batch: int) -> tuple[int, int, list[tuple[int, str, int]]]:
    """The next ``batch`` unindexed records: the mark before them, the last one's seq,
    and their index entries sorted.

    SQLite sorts (with Python's GIL released), so a thread may call this without
    holding up the event loop.
    """
    with engine.connect() as connection:
        state = index_mark(connection)
        last = connection.execute(
            select(func.max(AuditEvent.seq)).where(
                AuditEvent.seq > state, AuditEvent.seq <= state + batch
            )
        ).scalar_one_or_none()
        if last is None:
            return state, state, []
        subjects = connection.exec_driver_sql(
            _UNFILED[engine.dialect.name == "postgresql"], (state, last)
        ).fetchall()
    return state, last, [tuple(subject) for subject in subjects]


_UNFILED = {
    False: f"SELECT seq / {BUCKET}, personal_id, seq FROM audit_event WHERE seq > ? "  # noqa: S608
    "AND seq <= ? AND personal_id IS NOT NULL ORDER BY 1, personal_id, seq",
    True: f"SELECT seq / {BUCKET}, personal_id, seq FROM audit_event WHERE seq > %s "  # noqa: S608
    "AND seq <= %s AND personal_id IS NOT NULL ORDER BY 1, personal_id, seq",
}


def file_subjects(
    engine: Engine,
    subjects: Sequence[tuple[int, str, int]],
    *,
    mark: int | None = None,
    sqlite_connection: Any = None,
) -> None:
    """File ``subjects`` in ``audit_subject`` in one transaction; then move the mark.

    Plain driver SQL with tuples: the statement machinery would cost more than the
    inserts. On SQLite, ``sqlite_connection`` is the connection to write on (as for
    ``append``). Idempotent: entries already filed are ignored.
    """
    if engine.dialect.name == "sqlite" and sqlite_connection is not None:
        cursor = sqlite_connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            if subjects:
                cursor.executemany(_INSERT_SUBJECTS[False], subjects)
            if mark is not None:
                cursor.execute(_MOVE_MARK[False], (mark, mark))
            sqlite_connection.commit()
        except BaseException:
            sqlite_connection.rollback()
            raise
        finally:
            cursor.close()
        return
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        if subjects:
            connection.exec_driver_sql(_INSERT_SUBJECTS[postgres], list(subjects))
        if mark is not None:
            connection.exec_driver_sql(_MOVE_MARK[postgres], (mark, mark))


def file_record_subjects(connection: Connection, seq: int, personal_ids: Sequence[str]) -> None:
    """File one record about many citizens (a cleaning chunk's, sorted) in the citizen index.

    In the caller's transaction, with the record itself: the indexer files records
    by their ``personal_id`` column, which such a record leaves empty (its citizens
    are listed in its detail, under the hash).
    """
    if personal_ids:
        postgres = connection.dialect.name == "postgresql"
        bucket = seq // BUCKET
        connection.exec_driver_sql(
            _INSERT_SUBJECTS[postgres], [(bucket, pid, seq) for pid in personal_ids]
        )


_INSERT_SUBJECTS = {
    False: "INSERT OR IGNORE INTO audit_subject (bucket, personal_id, seq) VALUES (?, ?, ?)",
    True: "INSERT INTO audit_subject (bucket, personal_id, seq) VALUES (%s, %s, %s) "
    "ON CONFLICT DO NOTHING",
}
_MOVE_MARK = {
    False: "UPDATE audit_index_state SET seq = ? WHERE id = 1 AND seq < ?",
    True: "UPDATE audit_index_state SET seq = %s WHERE id = 1 AND seq < %s",
}


def index_subjects(engine: Engine, batch: int = 1000, per_transaction: int = 2000) -> int:
    """File the citizens of the next ``batch`` unindexed records in ``audit_subject``.

    The entries are sorted by personal ID and written in key order, ``per_transaction``
    at a time, so each transaction touches one stretch of the index; the high-water
    mark moves in the last one. Returns how many records it covered (0: caught up).
    Idempotent (a crash in between files some entries twice, which the insert
    ignores), so several processes may run it at once.
    """
    before, last, subjects = unfiled_subjects(engine, batch)
    if last == before:
        return 0
    chunks = split(subjects, per_transaction)
    for number, chunk in enumerate(chunks, start=1):
        file_subjects(engine, chunk, mark=last if number == len(chunks) else None)
    return last - before


def split(subjects: list[tuple[int, str, int]], size: int) -> list[list[tuple[int, str, int]]]:
    """``subjects`` in consecutive pieces of ``size`` (one empty piece if there are none)."""
    return [subjects[start : start + size] for start in range(0, len(subjects), size)] or [[]]


def subject_buckets(connection: Connection) -> int:
    """How many buckets of the citizen index may hold entries (for ``seqs_about``).

    Counted from the newest record, not the indexer's mark: records about many
    citizens (cleaning chunks) are filed as they are written.
    """
    newest = connection.execute(select(AuditHead.seq).where(AuditHead.id == 1)).scalar_one()
    return max(int(newest), index_mark(connection)) // BUCKET + 1


def seqs_about(
    personal_id: str | Sequence[str],
    *,
    buckets: int,
    before: int | None = None,
    after: int = 0,
) -> Select[tuple[int]]:
    """The sequence numbers of the records about a citizen: indexed ones, then the tail.

    ``personal_id`` may list several numbers: a citizen's current one and those it
    replaced after a correction. ``buckets`` is ``subject_buckets()``: one index seek
    per bucket and number.
    """
    numbers = [personal_id] if isinstance(personal_id, str) else list(personal_id)
    state = select(AuditIndexState.seq).where(AuditIndexState.id == 1).scalar_subquery()
    indexed = select(AuditSubject.seq.label("seq")).where(
        AuditSubject.bucket.in_(range(buckets)),
        AuditSubject.personal_id.in_(numbers),
        AuditSubject.seq > after,
    )
    tail = select(AuditEvent.seq.label("seq")).where(
        AuditEvent.seq > state, AuditEvent.seq > after, AuditEvent.personal_id.in_(numbers)
    )
    if before is not None:
        indexed = indexed.where(AuditSubject.seq < before)
        tail = tail.where(AuditEvent.seq < before)
    combined = union_all(indexed, tail).subquery()
    return select(combined.c.seq)
