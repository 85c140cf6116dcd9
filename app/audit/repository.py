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
from sqlalchemy.dialects import postgresql, sqlite

from app.audit.records import AuditEntry, chain
from app.models import AuditEvent, AuditHead, AuditIndexState, AuditSubject

EVENT_COLUMNS = tuple(column.name for column in AuditEvent.__table__.columns)


def append(engine: Engine, entries: Sequence[AuditEntry]) -> list[dict[str, Any]]:
    """Append ``entries`` to the chain in one transaction; returns the rows written."""
    if engine.dialect.name == "sqlite":
        return _append_sqlite(engine, entries)
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


def _append_sqlite(engine: Engine, entries: Sequence[AuditEntry]) -> list[dict[str, Any]]:
    # Plain DBAPI: on SQLite the ORM's statement machinery would cost more than the write.
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        # A deferred BEGIN would read the head under a shared lock and then fail to
        # upgrade it if another process did the same; IMMEDIATE waits its turn instead.
        cursor.execute("BEGIN IMMEDIATE")
        try:
            head_seq, head_hash = cursor.execute(
                "SELECT seq, hash FROM audit_head WHERE id = 1"
            ).fetchone()
            rows = chain(entries, head_seq, head_hash)
            cursor.executemany(
                _SQLITE_INSERT,
                [
                    tuple(_json(row[c]) if c in _JSON_COLUMNS else row[c] for c in EVENT_COLUMNS)
                    for row in rows
                ],
            )
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
        connection.close()


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
        query = query.where(AuditEvent.seq.in_(seqs_about(personal_id, after=after)))
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


def index_subjects(engine: Engine, batch: int = 1000) -> int:
    """File the citizens of the next unindexed records in ``audit_subject``.

    Returns how many records it covered (0: caught up). Idempotent, so several
    processes may run it at once.
    """
    with engine.begin() as connection:
        state = connection.execute(
            select(AuditIndexState.seq).where(AuditIndexState.id == 1)
        ).scalar_one()
        rows = connection.execute(
            select(AuditEvent.seq, AuditEvent.personal_id)
            .where(AuditEvent.seq > state)
            .order_by(AuditEvent.seq)
            .limit(batch)
        ).all()
        if not rows:
            return 0
        subjects = sorted(
            ({"personal_id": row.personal_id, "seq": row.seq} for row in rows if row.personal_id),
            key=lambda subject: (subject["personal_id"], subject["seq"]),
        )
        if subjects:
            connection.execute(_insert_ignoring_duplicates(engine), subjects)
        last = rows[-1].seq
        connection.execute(
            update(AuditIndexState)
            .where(AuditIndexState.id == 1, AuditIndexState.seq < last)
            .values(seq=last)
        )
        return len(rows)


def _insert_ignoring_duplicates(engine: Engine) -> Any:
    if engine.dialect.name == "postgresql":
        return postgresql.insert(AuditSubject).on_conflict_do_nothing()
    return sqlite.insert(AuditSubject).on_conflict_do_nothing()


def seqs_about(
    personal_id: str, *, before: int | None = None, after: int = 0
) -> Select[tuple[int]]:
    """The sequence numbers of the records about a citizen: indexed ones, then the tail."""
    state = select(AuditIndexState.seq).where(AuditIndexState.id == 1).scalar_subquery()
    indexed = select(AuditSubject.seq.label("seq")).where(
        AuditSubject.personal_id == personal_id, AuditSubject.seq > after
    )
    tail = select(AuditEvent.seq.label("seq")).where(
        AuditEvent.seq > state, AuditEvent.seq > after, AuditEvent.personal_id == personal_id
    )
    if before is not None:
        indexed = indexed.where(AuditSubject.seq < before)
        tail = tail.where(AuditEvent.seq < before)
    combined = union_all(indexed, tail).subquery()
    return select(combined.c.seq)
