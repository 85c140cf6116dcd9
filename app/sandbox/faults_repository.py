"""SQL of the fault rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from app.models import Agency, FaultRule


def _unexpired(now: datetime) -> ColumnElement[bool]:
    return or_(FaultRule.expires_at.is_(None), FaultRule.expires_at > now)


def active_rules(session: Session, now: datetime) -> Sequence[FaultRule]:
    """The rules not expired at ``now``, oldest first (the order they are tried in)."""
    statement = (
        select(FaultRule).where(_unexpired(now)).order_by(FaultRule.created_at, FaultRule.id)
    )
    return session.scalars(statement).all()


def get_rule(session: Session, rule_id: str) -> FaultRule | None:
    return session.get(FaultRule, rule_id)


def add_rule(session: Session, rule: FaultRule) -> FaultRule:
    session.add(rule)
    session.flush()
    return rule


def delete_rule(session: Session, rule: FaultRule) -> None:
    session.delete(rule)
    session.flush()


def delete_all(session: Session) -> int:
    """Remove every rule; how many there were."""
    return int(session.connection().execute(delete(FaultRule)).rowcount)


def delete_expired(session: Session, now: datetime) -> None:
    session.execute(delete(FaultRule).where(FaultRule.expires_at <= now))


def agency_exists(session: Session, code: str) -> bool:
    return session.scalar(select(Agency.id).where(Agency.code == code)) is not None


def add_hits(connection: Connection, hits: Mapping[str, int]) -> None:
    """Add each process's injections to the shared counts (a deleted rule's are dropped)."""
    statement = (
        update(FaultRule.__table__)  # type: ignore[arg-type]
        .where(FaultRule.__table__.c.id == bindparam("rule_id"))
        .values(hits=FaultRule.__table__.c.hits + bindparam("added"))
    )
    connection.execute(
        statement, [{"rule_id": rule_id, "added": added} for rule_id, added in hits.items()]
    )
