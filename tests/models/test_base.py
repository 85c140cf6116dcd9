"""Timestamps come back with their zone on every backend (SQLite stores none)."""

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Household

HANOI = timezone(timedelta(hours=7))


def test_a_timestamp_reads_back_as_the_same_instant_in_utc(db_session: Session) -> None:
    written = datetime(2026, 11, 22, 16, 30, tzinfo=HANOI)
    db_session.add(Household(household_number="001000000777", address="Hà Nội", created_at=written))
    db_session.flush()
    db_session.expire_all()
    stored = db_session.scalar(
        select(Household.created_at).where(Household.household_number == "001000000777")
    )
    assert stored is not None
    assert stored.tzinfo is not None  # SQLite used to give a bare 2026-11-22 09:30
    assert stored.astimezone(UTC).isoformat() == "2026-11-22T09:30:00+00:00"
