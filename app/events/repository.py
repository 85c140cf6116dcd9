"""All SQL of life events, the change feed and idempotent civil-registry requests.

Events are numbered from the ``event_head`` row inside the writing transaction:
on PostgreSQL its row lock makes commit order follow ``seq`` across processes,
so a reader that has seen event N can never later find an N-1 it missed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from app.db import immediate_transaction
from app.models import CivilRequest, EventHead, LifeEvent

EVENT_COLUMNS = tuple(LifeEvent.__table__.columns)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A civil-registry write: holds the event lock from its first statement.

    SQLite: ``BEGIN IMMEDIATE`` (the database's write lock). PostgreSQL: the
    ``event_head`` row lock, so civil-registry writes happen one at a time and
    reading the preconditions cannot race another writer.
    """
    with immediate_transaction(engine) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                select(EventHead.seq).where(EventHead.id == 1).with_for_update()
            ).one()
        yield connection


def append_events(connection: Connection, events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Number ``events`` after the head, insert them and move the head; returns the rows."""
    head = int(connection.execute(select(EventHead.seq).where(EventHead.id == 1)).scalar_one())
    rows = [{**event, "seq": head + offset} for offset, event in enumerate(events, start=1)]
    if rows:
        connection.execute(insert(LifeEvent), rows)
        connection.execute(update(EventHead).where(EventHead.id == 1).values(seq=rows[-1]["seq"]))
    return rows


def latest_seq(connection: Connection) -> int:
    return int(connection.execute(select(EventHead.seq).where(EventHead.id == 1)).scalar_one())


def events_after(
    connection: Connection, after: int, types: Sequence[str], limit: int
) -> list[dict[str, Any]]:
    """Events with ``seq > after`` of the given types, oldest first."""
    if not types:
        return []
    query = (
        select(*EVENT_COLUMNS)
        .where(LifeEvent.seq > after, LifeEvent.type.in_(types))
        .order_by(LifeEvent.seq)
        .limit(limit)
    )
    return [dict(row._mapping) for row in connection.execute(query)]


def events_of_operation(connection: Connection, operation_id: str) -> list[dict[str, Any]]:
    query = select(*EVENT_COLUMNS).where(LifeEvent.operation_id == operation_id)
    return [dict(row._mapping) for row in connection.execute(query.order_by(LifeEvent.seq))]


def answered_request(connection: Connection, agency_code: str, key: str) -> dict[str, Any] | None:
    row = connection.execute(
        select(CivilRequest.fingerprint, CivilRequest.status_code, CivilRequest.response).where(
            CivilRequest.agency_code == agency_code, CivilRequest.idempotency_key == key
        )
    ).first()
    return None if row is None else dict(row._mapping)


def remember_request(
    connection: Connection,
    agency_code: str,
    key: str,
    fingerprint: str,
    status_code: int,
    response: dict[str, Any],
) -> None:
    connection.execute(
        insert(CivilRequest).values(
            agency_code=agency_code,
            idempotency_key=key,
            fingerprint=fingerprint,
            status_code=status_code,
            response=response,
        )
    )
