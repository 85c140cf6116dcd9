"""The dashboard's own reads across agencies (the domain services are per agency)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from app.events.outbox import SUBSCRIPTION_COLUMNS
from app.models import CleaningJob, Subscription, SubscriptionState


def recent_jobs(connection: Connection, limit: int) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(CleaningJob).order_by(CleaningJob.created_at.desc()).limit(limit)
    ).all()
    return [dict(row._mapping) for row in rows]


def active_subscriptions(connection: Connection, limit: int) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(*SUBSCRIPTION_COLUMNS)
        .where(Subscription.state == SubscriptionState.ACTIVE)
        .order_by(Subscription.created_at, Subscription.id)
        .limit(limit)
    )
    return [dict(row._mapping) for row in rows]
