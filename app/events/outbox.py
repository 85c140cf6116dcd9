"""All SQL of webhook subscriptions and their outbox of deliveries.

Deliveries are claimed with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
so several processes share the outbox); a delivery is only claimable when no
earlier delivery about the same citizen to the same subscription is still
unfinished, which keeps each citizen's events in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.orm import aliased

from app.models import (
    Agency,
    AgencyPurpose,
    DeliveryState,
    Subscription,
    SubscriptionState,
    SubscriptionWatch,
    WebhookAttempt,
    WebhookDelivery,
)

Row = dict[str, Any]
UNFINISHED = (DeliveryState.PENDING, DeliveryState.SENDING)
SUBSCRIPTION_COLUMNS = tuple(
    column for column in Subscription.__table__.columns if column.name != "secret"
)
DELIVERY_COLUMNS = tuple(
    column for column in WebhookDelivery.__table__.columns if column.name not in ("body",)
)


def insert_subscription(connection: Connection, values: Row, watched: Sequence[int]) -> None:
    connection.execute(insert(Subscription).values(**values))
    if watched:
        connection.execute(
            insert(SubscriptionWatch),
            [{"subscription_id": values["id"], "citizen_id": c} for c in sorted(set(watched))],
        )


def subscription(connection: Connection, subscription_id: str, agency_code: str) -> Row | None:
    row = connection.execute(
        select(*SUBSCRIPTION_COLUMNS).where(
            Subscription.id == subscription_id,
            Subscription.agency_code == agency_code,
            Subscription.state == SubscriptionState.ACTIVE,
        )
    ).first()
    return None if row is None else dict(row._mapping)


def subscriptions_of(connection: Connection, agency_code: str) -> list[Row]:
    rows = connection.execute(
        select(*SUBSCRIPTION_COLUMNS)
        .where(
            Subscription.agency_code == agency_code,
            Subscription.state == SubscriptionState.ACTIVE,
        )
        .order_by(Subscription.created_at, Subscription.id)
    )
    return [dict(row._mapping) for row in rows]


def count_active(connection: Connection, agency_code: str) -> int:
    return int(
        connection.execute(
            select(func.count()).where(
                Subscription.agency_code == agency_code,
                Subscription.state == SubscriptionState.ACTIVE,
            )
        ).scalar_one()
    )


def watched_count(connection: Connection, subscription_id: str) -> int:
    return int(
        connection.execute(
            select(func.count()).where(SubscriptionWatch.subscription_id == subscription_id)
        ).scalar_one()
    )


def delete_subscription(connection: Connection, subscription_id: str, now: datetime) -> None:
    """Stop it and cancel what it had not delivered yet; the delivery log stays."""
    connection.execute(
        update(Subscription)
        .where(Subscription.id == subscription_id)
        .values(state=SubscriptionState.DELETED, deleted_at=now)
    )
    connection.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id == subscription_id,
            WebhookDelivery.state.in_(UNFINISHED),
        )
        .values(state=DeliveryState.CANCELLED, claim_token=None, lease_until=None)
    )
    connection.execute(
        delete(SubscriptionWatch).where(SubscriptionWatch.subscription_id == subscription_id)
    )


def active_subscriptions(connection: Connection, event_types: Sequence[str]) -> list[Row]:
    """Active subscriptions to any of ``event_types``, with their purpose's policy."""
    rows = connection.execute(
        select(
            Subscription.id,
            Subscription.agency_code,
            Subscription.purpose,
            Subscription.event_types,
            Subscription.all_citizens,
            AgencyPurpose.operations,
            AgencyPurpose.fields,
            AgencyPurpose.consent_required,
        )
        .join(Agency, Agency.code == Subscription.agency_code)
        .join(
            AgencyPurpose,
            and_(AgencyPurpose.agency_id == Agency.id, AgencyPurpose.code == Subscription.purpose),
        )
        .where(Subscription.state == SubscriptionState.ACTIVE, Agency.active.is_(True))
        .order_by(Subscription.id)
    )
    wanted = set(event_types)
    return [dict(row._mapping) for row in rows if wanted & set(row.event_types)]


def watching(
    connection: Connection, subscription_ids: Sequence[str], citizen_ids: Sequence[int]
) -> set[tuple[str, int]]:
    if not subscription_ids or not citizen_ids:
        return set()
    rows = connection.execute(
        select(SubscriptionWatch.subscription_id, SubscriptionWatch.citizen_id).where(
            SubscriptionWatch.subscription_id.in_(subscription_ids),
            SubscriptionWatch.citizen_id.in_(citizen_ids),
        )
    )
    return {(str(row.subscription_id), int(row.citizen_id)) for row in rows}


def enqueue(connection: Connection, deliveries: Sequence[Row]) -> None:
    if deliveries:
        connection.execute(insert(WebhookDelivery), list(deliveries))


def claim_due(
    connection: Connection, token: str, now: datetime, lease: timedelta, limit: int
) -> list[Row]:
    """Claim up to ``limit`` due deliveries whose earlier ones (same citizen) are finished."""
    delivery = WebhookDelivery
    earlier = aliased(WebhookDelivery)
    blocked = exists().where(
        earlier.subscription_id == delivery.subscription_id,
        earlier.citizen_id == delivery.citizen_id,
        earlier.id < delivery.id,
        earlier.state.in_(UNFINISHED),
    )
    due = (
        select(delivery.id)
        .where(
            or_(
                and_(delivery.state == DeliveryState.PENDING, delivery.next_attempt_at <= now),
                and_(delivery.state == DeliveryState.SENDING, delivery.lease_until < now),
            ),
            ~blocked,
        )
        .order_by(delivery.id)
        .limit(limit)
    )
    if connection.dialect.name == "postgresql":
        due = due.with_for_update(of=delivery, skip_locked=True)
    ids = [int(i) for i in connection.execute(due).scalars()]
    if not ids:
        return []
    connection.execute(
        update(delivery)
        .where(delivery.id.in_(ids))
        .values(
            state=DeliveryState.SENDING,
            claim_token=token,
            lease_until=now + lease,
            attempts=delivery.attempts + 1,
        )
    )
    rows = connection.execute(
        select(
            delivery.id,
            delivery.subscription_id,
            delivery.event_seq,
            delivery.event_type,
            delivery.personal_id,
            delivery.body,
            delivery.fields,
            delivery.attempts,
            delivery.audited,
            Subscription.url,
            Subscription.secret,
            Subscription.agency_code,
            Subscription.purpose,
        )
        .join(Subscription, Subscription.id == delivery.subscription_id)
        .where(delivery.id.in_(ids), delivery.claim_token == token)
        .order_by(delivery.id)
    )
    return [dict(row._mapping) for row in rows]


def finish_attempt(
    connection: Connection,
    delivery_id: int,
    token: str,
    values: Row,
    attempt: Row,
) -> bool:
    """Record an attempt and the delivery's new state, if this claim still holds it."""
    result = connection.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.claim_token == token)
        .values(claim_token=None, lease_until=None, **values)
    )
    if result.rowcount != 1:
        return False
    # Numbered across redeliveries too, so the log reads in order.
    earlier = connection.execute(
        select(func.count()).where(WebhookAttempt.delivery_id == delivery_id)
    ).scalar_one()
    connection.execute(
        insert(WebhookAttempt).values(
            delivery_id=delivery_id, **{**attempt, "number": int(earlier) + 1}
        )
    )
    return True


def deliveries(
    connection: Connection,
    subscription_id: str,
    states: Sequence[DeliveryState],
    before: int | None,
    limit: int,
) -> list[Row]:
    """Newest first, for the delivery log."""
    query = select(*DELIVERY_COLUMNS).where(WebhookDelivery.subscription_id == subscription_id)
    if states:
        query = query.where(WebhookDelivery.state.in_(states))
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    rows = connection.execute(query.order_by(WebhookDelivery.id.desc()).limit(limit))
    return [dict(row._mapping) for row in rows]


def attempts_of(connection: Connection, delivery_ids: Sequence[int]) -> dict[int, list[Row]]:
    found: dict[int, list[Row]] = {i: [] for i in delivery_ids}
    if not delivery_ids:
        return found
    rows = connection.execute(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(delivery_ids))
        .order_by(WebhookAttempt.delivery_id, WebhookAttempt.id)
    )
    for row in rows:
        found[int(row.delivery_id)].append(dict(row._mapping))
    return found


def delivery(connection: Connection, subscription_id: str, delivery_id: int) -> Row | None:
    row = connection.execute(
        select(*DELIVERY_COLUMNS).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.subscription_id == subscription_id
        )
    ).first()
    return None if row is None else dict(row._mapping)


def redeliver(connection: Connection, delivery_id: int, now: datetime) -> None:
    """Send again from the first attempt (a delivered one too); audited again when sent."""
    connection.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=now,
            claim_token=None,
            lease_until=None,
            last_status=None,
            last_error=None,
            audited=False,
        )
    )


def has_due(connection: Connection, now: datetime) -> bool:
    """Whether anything is due (a cheap read before taking a write lock to claim)."""
    due = or_(
        and_(
            WebhookDelivery.state == DeliveryState.PENDING, WebhookDelivery.next_attempt_at <= now
        ),
        and_(WebhookDelivery.state == DeliveryState.SENDING, WebhookDelivery.lease_until < now),
    )
    return connection.execute(select(WebhookDelivery.id).where(due).limit(1)).first() is not None


def delivery_counts(
    connection: Connection, subscription_ids: Sequence[str]
) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {
        sid: {state.value: 0 for state in DeliveryState} for sid in subscription_ids
    }
    if not subscription_ids:
        return counts
    rows = connection.execute(
        select(WebhookDelivery.subscription_id, WebhookDelivery.state, func.count())
        .where(WebhookDelivery.subscription_id.in_(subscription_ids))
        .group_by(WebhookDelivery.subscription_id, WebhookDelivery.state)
    )
    for subscription_id, state, count in rows:
        counts[str(subscription_id)][str(state)] = int(count)
    return counts
