"""The change feed: life events after a cursor, as the reader's purpose may see them.

Cursors are event sequence numbers (as strings): stable, and gap-free in commit
order (see ``repository``). A purpose that needs consent sees only the events
of citizens who gave it; those it skips still move the cursor on.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.audit.entries import disclosure, refusal
from app.audit.writer import AuditWriter
from app.auth.principal import Principal, PurposePolicy
from app.auth.service import authorize
from app.citizen.service import consent_is_live
from app.db import Database
from app.events import repository
from app.events.errors import EventTypeNotAllowedError, InvalidCursorError, UnknownEventTypeError
from app.events.types import (
    disclosed_fields,
    event_document,
    followable_types,
    narrowed,
    tells_anything,
)
from app.models import EventType
from app.models.enums import Operation
from app.problems import ProblemError

LATEST = ("latest", "now")
POLL_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class FeedRequest:
    purpose: str | None
    after: str
    types: str | None
    limit: int
    wait_seconds: int
    request_id: str | None


@dataclass(frozen=True, slots=True)
class Page:
    events: list[dict[str, Any]]
    next_cursor: str
    has_more: bool
    followed_types: list[str]


def parse_types(text: str | None) -> list[EventType] | None:
    if text is None or not text.strip():
        return None
    types = []
    for name in (part.strip() for part in text.split(",")):
        try:
            types.append(EventType(name))
        except ValueError:
            known = ", ".join(t.value for t in EventType)
            raise UnknownEventTypeError(f"Unknown event type {name!r}; known: {known}.") from None
    return types


def followed(policy: PurposePolicy, requested: list[EventType] | None) -> list[EventType]:
    """The types to read: those requested, each of which the purpose must be able to follow."""
    allowed = followable_types(policy)
    if requested is not None:
        refused = [t.value for t in requested if t not in allowed]
        if refused:
            raise EventTypeNotAllowedError(
                f"Purpose {policy.code!r} may not follow {', '.join(refused)} events "
                f"(it may follow: {', '.join(t.value for t in allowed) or 'none'}); "
                "a type is followable when the purpose may read a field that type changes."
            )
    return narrowed(policy, requested)


def _cursor(text: str) -> int | None:
    """The sequence number after which to read; None means from the newest event on."""
    value = text.strip().lower()
    if value in LATEST:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise InvalidCursorError(
            f"Cursor {text[:40]!r} is not one popreg gave out: pass a `next_cursor` or an "
            "event's `cursor`, 0 for the oldest event, or `latest` to start from now."
        )
    return int(value)


async def read(
    database: Database, audit: AuditWriter, principal: Principal, feed: FeedRequest
) -> Page:
    try:
        policy = authorize(principal, feed.purpose, Operation.SUBSCRIBE)
        types = followed(policy, parse_types(feed.types))
        after = _cursor(feed.after)
    except ProblemError as error:
        await audit.record(refusal(principal, feed.purpose, "event_feed", None, error))
        raise
    names = [t.value for t in types]
    deadline = asyncio.get_running_loop().time() + feed.wait_seconds
    while True:
        page = await run_in_threadpool(_page, database, principal, policy, after, names, feed.limit)
        if page.events or asyncio.get_running_loop().time() >= deadline:
            break
        after = int(page.next_cursor)
        await asyncio.sleep(POLL_SECONDS)
    await audit.record(*_audit_entries(principal, policy, page, feed))
    return page


def _page(
    database: Database,
    principal: Principal,
    policy: PurposePolicy,
    after: int | None,
    names: list[str],
    limit: int,
) -> Page:
    with database.engine.connect() as connection:
        if after is None:
            start = repository.latest_seq(connection)
            return Page([], str(start), False, names)
        rows = repository.events_after(connection, after, names, limit)
        # Events skipped for want of consent still move the cursor on.
        next_cursor = str(rows[-1]["seq"]) if rows else str(after)
        has_more = len(rows) >= limit
        if policy.consent_required and rows:
            with Session(bind=connection) as session:
                rows = [r for r in rows if _consented(session, principal, policy, r)]
    events = [d for d in (event_document(r, policy) for r in rows) if tells_anything(d)]
    return Page(events, next_cursor, has_more, names)


def _consented(
    session: Session, principal: Principal, policy: PurposePolicy, row: dict[str, Any]
) -> bool:
    return consent_is_live(session, row["personal_id"], principal.agency_code, policy.code)


def _audit_entries(
    principal: Principal, policy: PurposePolicy, page: Page, feed: FeedRequest
) -> list[Any]:
    if not page.events:
        return [
            disclosure(
                principal,
                policy.code,
                "event_feed",
                feed.request_id,
                personal_id=None,
                fields=[],
                outcome="empty",
                detail={"after": feed.after[:40], "types": page.followed_types},
            )
        ]
    return [
        disclosure(
            principal,
            policy.code,
            "event_feed",
            feed.request_id,
            personal_id=event["personal_id"],
            fields=disclosed_fields(event),
            detail={"event": event["id"], "type": event["type"]},
        )
        for event in page.events
    ]
