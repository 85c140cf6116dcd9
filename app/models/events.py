"""Life events, the change feed, webhook subscriptions and their outbox.

A civil-registry operation changes citizens and writes its life events in one
transaction; the same transaction puts a delivery for every matching webhook
subscription in the outbox, so an accepted change is never lost on its way out.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigIntPK, enum_column, utcnow


class EventType(StrEnum):
    """Civil-registration events, after OpenCRVS / SPDCI (BIRTH, DEATH, MARRIAGE, …)."""

    BIRTH = "birth"
    DEATH = "death"
    WIDOWHOOD = "widowhood"  # the surviving spouse of a death
    RESIDENCE_CHANGE = "residence_change"
    MARRIAGE = "marriage"
    DIVORCE = "divorce"
    NAME_CHANGE = "name_change"
    CARD_REISSUE = "card_reissue"
    ID_CORRECTION = "id_correction"


class SubscriptionState(StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (first, or after a failure)
    SENDING = "sending"  # claimed by a dispatcher; lease_until bounds the claim
    DELIVERED = "delivered"  # the receiver answered 2xx
    DEAD = "dead"  # every attempt failed; redeliver on request
    CANCELLED = "cancelled"  # its subscription was deleted first


class EventHead(Base):
    """The last event sequence number; its row lock orders events across processes."""

    __tablename__ = "event_head"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)


class LifeEvent(Base):
    """One change to one citizen; ``seq`` is the change feed's cursor."""

    __tablename__ = "life_event"
    __table_args__ = (Index("ix_life_event_type_seq", "type", "seq"),)

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=False)
    type: Mapped[EventType] = mapped_column(enum_column(EventType, "event_type"))
    citizen_id: Mapped[int] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), index=True
    )
    # The citizen's personal ID after the change (an ID correction's new number).
    personal_id: Mapped[str] = mapped_column(String(12), index=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    agency_code: Mapped[str] = mapped_column(String(40))
    request_id: Mapped[str | None] = mapped_column(String(128))
    # The events of one operation (the two spouses of a marriage) share it.
    operation_id: Mapped[str] = mapped_column(String(32), index=True)
    # New values, keyed by citizen-document field name, in the document's shape.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Values replaced, same keys (a name change's old name, a correction's old ID).
    previous: Mapped[dict[str, Any]] = mapped_column(JSON)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class CivilRequest(Base):
    """An answered civil-registry request, kept so a retry with its Idempotency-Key replays it."""

    __tablename__ = "civil_request"
    __table_args__ = (UniqueConstraint("agency_code", "idempotency_key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    # SHA-256 of the method, path and body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(SmallInteger)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Subscription(Base):
    """A webhook: where to send which event types, under which purpose, signed with what."""

    __tablename__ = "subscription"
    __table_args__ = (Index("ix_subscription_state_agency_code", "state", "agency_code"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    # The HMAC key: kept in clear because every delivery is signed with it.
    secret: Mapped[str] = mapped_column(String(100))
    # False: only the citizens listed in subscription_watch.
    all_citizens: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[SubscriptionState] = mapped_column(
        enum_column(SubscriptionState, "subscription_state"), default=SubscriptionState.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column()


class SubscriptionWatch(Base):
    """A citizen a subscription follows (by row id, so an ID correction keeps the link)."""

    __tablename__ = "subscription_watch"

    subscription_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("subscription.id", ondelete="CASCADE"), primary_key=True
    )
    citizen_id: Mapped[int] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class WebhookDelivery(Base):
    """The outbox: one event to one subscription, with its signed body and retry state."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_seq"),
        Index("ix_webhook_delivery_state_next_attempt_at", "state", "next_attempt_at"),
        # Order per citizen: a delivery waits for the earlier ones about the same citizen.
        Index("ix_webhook_delivery_order", "subscription_id", "citizen_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    subscription_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("subscription.id", ondelete="CASCADE")
    )
    event_seq: Mapped[int] = mapped_column(ForeignKey("life_event.seq", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(24))
    citizen_id: Mapped[int] = mapped_column(BigInteger)
    personal_id: Mapped[str] = mapped_column(String(12))
    # Exactly the JSON sent, rendered under the subscription's purpose when enqueued.
    body: Mapped[str] = mapped_column(Text)
    fields: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[DeliveryState] = mapped_column(enum_column(DeliveryState, "delivery_state"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column()
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_status: Mapped[int | None] = mapped_column(SmallInteger)
    last_error: Mapped[str | None] = mapped_column(String(300))
    # The disclosure is audited once, before the first attempt (and again per redelivery).
    audited: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()


class WebhookAttempt(Base):
    """One HTTP attempt of a delivery: the delivery log."""

    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column()
    duration_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    error: Mapped[str | None] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(16))  # delivered, retry, dead
