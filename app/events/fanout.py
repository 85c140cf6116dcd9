"""Fan-out: put each new event in the outbox of every subscription that may receive it.

Runs inside the transaction that records the events, so a change is committed
together with every delivery it owes; the body is rendered now, under the
subscription's purpose, and sent byte for byte on every attempt.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app.auth.principal import PurposePolicy
from app.citizen.service import consent_is_live
from app.events import outbox
from app.events.types import disclosed_fields, event_document, narrowed, tells_anything
from app.models import DeliveryState, EventType
from app.models.base import utcnow
from app.models.enums import CitizenField, Operation


def policy_of(row: dict[str, Any]) -> PurposePolicy:
    return PurposePolicy(
        code=str(row["purpose"]),
        operations=frozenset(Operation(op) for op in row["operations"]),
        fields=tuple(CitizenField(f) for f in row["fields"]),
        consent_required=bool(row["consent_required"]),
    )


def enqueue_deliveries(connection: Connection, events: Sequence[dict[str, Any]]) -> int:
    """Queue a delivery of each event to each subscription entitled to it; returns how many."""
    if not events:
        return 0
    subscriptions = outbox.active_subscriptions(connection, sorted({e["type"] for e in events}))
    if not subscriptions:
        return 0
    narrow = [s["id"] for s in subscriptions if not s["all_citizens"]]
    watched = outbox.watching(connection, narrow, sorted({e["citizen_id"] for e in events}))
    now = utcnow()
    rows = []
    for sub in subscriptions:
        policy = policy_of(sub)
        types = {t.value for t in narrowed(policy, [EventType(t) for t in sub["event_types"]])}
        for event in events:
            if str(event["type"]) not in types:
                continue
            if not sub["all_citizens"] and (sub["id"], event["citizen_id"]) not in watched:
                continue
            if policy.consent_required and not _consented(connection, sub, event):
                continue
            document = event_document(event, policy)
            if not tells_anything(document):
                continue
            body = {"subscription_id": sub["id"], "event": document}
            rows.append(
                {
                    "subscription_id": sub["id"],
                    "event_seq": event["seq"],
                    "event_type": str(event["type"]),
                    "citizen_id": event["citizen_id"],
                    "personal_id": event["personal_id"],
                    "body": orjson.dumps(body).decode(),
                    "fields": disclosed_fields(document),
                    "state": DeliveryState.PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
    outbox.enqueue(connection, rows)
    return len(rows)


def _consented(connection: Connection, sub: dict[str, Any], event: dict[str, Any]) -> bool:
    with Session(bind=connection) as session:
        return consent_is_live(session, event["personal_id"], sub["agency_code"], sub["purpose"])
