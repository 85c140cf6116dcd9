"""Webhook subscriptions: create, list, delete; the delivery log and redelivery."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from app.auth.principal import Principal
from app.auth.service import authorize
from app.config import Settings
from app.db import Database, immediate_transaction
from app.events import outbox
from app.events.errors import (
    DeliveryNotFoundError,
    InvalidWebhookUrlError,
    SubscriptionNotFoundError,
    TooManySubscriptionsError,
    UnknownCitizensError,
)
from app.events.feed import followed
from app.events.schemas import SubscriptionCreate
from app.models import Citizen, DeliveryState
from app.models.base import as_utc, utcnow
from app.models.enums import Operation


def check_url(url: str) -> str:
    """An absolute http(s) URL without credentials (the secret signs; URLs get logged)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidWebhookUrlError(f"{url[:100]!r} is not an absolute http or https URL.")
    if parts.username or parts.password:
        raise InvalidWebhookUrlError("Put no credentials in the URL; verify the signature instead.")
    if parts.fragment:
        raise InvalidWebhookUrlError("A webhook URL has no #fragment.")
    return url


def create(
    database: Database, settings: Settings, principal: Principal, spec: SubscriptionCreate
) -> dict[str, Any]:
    policy = authorize(principal, spec.purpose, Operation.SUBSCRIBE)
    types = followed(policy, list(dict.fromkeys(spec.event_types)))
    url = check_url(spec.url)
    secret = spec.secret or "whsec_" + secrets.token_urlsafe(24)
    with immediate_transaction(database.engine) as connection:
        if (
            outbox.count_active(connection, principal.agency_code)
            >= settings.max_subscriptions_per_agency
        ):
            raise TooManySubscriptionsError(
                f"Agency {principal.agency_code!r} already has "
                f"{settings.max_subscriptions_per_agency} subscriptions; delete one first."
            )
        watched: list[int] = []
        if spec.personal_ids is not None:
            wanted = sorted(set(spec.personal_ids))
            found = _citizen_ids(connection, wanted)
            missing = [pid for pid in wanted if pid not in found]
            if missing:
                raise UnknownCitizensError(
                    f"{len(missing)} of the personal IDs are not in the registry.",
                    extensions={"personal_ids": missing[:20]},
                )
            watched = list(found.values())
        subscription_id = "sub_" + secrets.token_hex(8)
        values = {
            "id": subscription_id,
            "agency_code": principal.agency_code,
            "purpose": policy.code,
            "url": url,
            "event_types": [t.value for t in types],
            "secret": secret,
            "all_citizens": spec.personal_ids is None,
            "description": spec.description,
            "created_at": utcnow(),
        }
        outbox.insert_subscription(connection, values, watched)
        row = outbox.subscription(connection, subscription_id, principal.agency_code)
        assert row is not None
        return {**_described(connection, [row])[0], "secret": secret}


def _citizen_ids(connection: Any, personal_ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(personal_ids), 1000):
        chunk = personal_ids[start : start + 1000]
        rows = connection.execute(
            select(Citizen.personal_id, Citizen.id).where(Citizen.personal_id.in_(chunk))
        )
        found.update({str(pid): int(cid) for pid, cid in rows})
    return found


def _described(connection: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts = outbox.delivery_counts(connection, [r["id"] for r in rows])
    return [
        {
            **row,
            "watched_citizens": 0
            if row["all_citizens"]
            else outbox.watched_count(connection, row["id"]),
            "created_at": as_utc(row["created_at"]),
            "deliveries": counts[row["id"]],
        }
        for row in rows
    ]


def list_all(database: Database, principal: Principal) -> list[dict[str, Any]]:
    with database.engine.connect() as connection:
        return _described(connection, outbox.subscriptions_of(connection, principal.agency_code))


def get(database: Database, principal: Principal, subscription_id: str) -> dict[str, Any]:
    with database.engine.connect() as connection:
        row = _own(connection, principal, subscription_id)
        return _described(connection, [row])[0]


def delete(database: Database, principal: Principal, subscription_id: str) -> None:
    with immediate_transaction(database.engine) as connection:
        _own(connection, principal, subscription_id)
        outbox.delete_subscription(connection, subscription_id, utcnow())


def deliveries(
    database: Database,
    principal: Principal,
    subscription_id: str,
    states: list[DeliveryState],
    before: int | None,
    limit: int,
) -> tuple[list[dict[str, Any]], int | None]:
    with database.engine.connect() as connection:
        _own(connection, principal, subscription_id)
        rows = outbox.deliveries(connection, subscription_id, states, before, limit)
        attempts = outbox.attempts_of(connection, [r["id"] for r in rows])
    items = [_delivery(row, attempts[row["id"]]) for row in rows]
    return items, (rows[-1]["id"] if len(rows) == limit else None)


def redeliver(
    database: Database, principal: Principal, subscription_id: str, delivery_id: int
) -> dict[str, Any]:
    with immediate_transaction(database.engine) as connection:
        _own(connection, principal, subscription_id)
        if outbox.delivery(connection, subscription_id, delivery_id) is None:
            raise DeliveryNotFoundError(
                f"Subscription {subscription_id} has no delivery {delivery_id}."
            )
        outbox.redeliver(connection, delivery_id, utcnow())
        row = outbox.delivery(connection, subscription_id, delivery_id)
        assert row is not None
        attempts = outbox.attempts_of(connection, [delivery_id])
    return _delivery(row, attempts[delivery_id])


def _own(connection: Any, principal: Principal, subscription_id: str) -> dict[str, Any]:
    row = outbox.subscription(connection, subscription_id, principal.agency_code)
    if row is None:
        raise SubscriptionNotFoundError(f"Your agency has no subscription {subscription_id!r}.")
    return row


def _delivery(row: dict[str, Any], attempts: list[dict[str, Any]]) -> dict[str, Any]:
    pending = row["state"] == DeliveryState.PENDING
    return {
        "id": row["id"],
        "event_id": row["event_seq"],
        "event_type": row["event_type"],
        "personal_id": row["personal_id"],
        "state": row["state"],
        "attempts": row["attempts"],
        "next_attempt_at": _utc(row["next_attempt_at"]) if pending else None,
        "last_status": row["last_status"],
        "last_error": row["last_error"],
        "created_at": _utc(row["created_at"]),
        "delivered_at": _utc(row["delivered_at"]),
        "attempt_log": [{**a, "started_at": _utc(a["started_at"])} for a in attempts],
    }


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)
