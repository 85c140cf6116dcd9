"""Which events a purpose may follow, and what of each event it may receive.

An event carries ``changes``: the citizen-document fields it changed, with their
new values (and ``previous`` for values it replaced). A purpose follows an event
type when it may read a field that tells that kind of change; it then receives
the subject's personal ID and only the changed fields it may read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.auth.principal import PurposePolicy
from app.models.enums import CitizenField as F
from app.models.enums import Operation
from app.models.events import EventType

ADDRESSES = frozenset({F.PERMANENT_ADDRESS, F.TEMPORARY_ADDRESS, F.CURRENT_ADDRESS})

# The fields that tell each kind of change: a purpose may follow a type if it may
# read one of them (documented in docs/events.md).
TELLING_FIELDS: dict[EventType, frozenset[F]] = {
    EventType.BIRTH: frozenset({F.FATHER, F.MOTHER}),
    EventType.DEATH: frozenset({F.VITAL_STATUS, F.DEATH_DATE}),
    EventType.WIDOWHOOD: frozenset({F.MARITAL_STATUS, F.SPOUSE}),
    EventType.RESIDENCE_CHANGE: ADDRESSES,
    EventType.MARRIAGE: frozenset({F.MARITAL_STATUS, F.SPOUSE}),
    EventType.DIVORCE: frozenset({F.MARITAL_STATUS, F.SPOUSE}),
    EventType.NAME_CHANGE: frozenset({F.FULL_NAME}),
    EventType.CARD_REISSUE: frozenset({F.CARDS}),
    EventType.ID_CORRECTION: frozenset({F.PERSONAL_ID}),
}


def followable_types(policy: PurposePolicy) -> list[EventType]:
    """The event types ``policy`` may follow, in declaration order (none without subscribe)."""
    fields = set(policy.fields)
    if not policy.allows(Operation.SUBSCRIBE) or F.PERSONAL_ID not in fields:
        return []
    return [kind for kind, telling in TELLING_FIELDS.items() if telling & fields]


def narrowed(policy: PurposePolicy, requested: Iterable[EventType] | None) -> list[EventType]:
    """The followable types, limited to ``requested`` when given."""
    allowed = followable_types(policy)
    if requested is None:
        return allowed
    wanted = set(requested)
    return [kind for kind in allowed if kind in wanted]


def filtered(values: Mapping[str, Any], policy: PurposePolicy) -> dict[str, Any]:
    allowed = {field.value for field in policy.fields}
    return {name: value for name, value in values.items() if name in allowed}


def event_document(event: Mapping[str, Any], policy: PurposePolicy | None) -> dict[str, Any]:
    """An event as ``policy`` may see it: subject, type, dates and the allowed changes.

    ``None``: the whole event, as the civil registry that recorded it sees it.
    """
    if policy is None:
        changes, previous = dict(event["changes"]), dict(event["previous"])
    else:
        changes, previous = filtered(event["changes"], policy), filtered(event["previous"], policy)
    return {
        "id": int(event["seq"]),
        "cursor": str(event["seq"]),
        "type": str(event["type"]),
        "personal_id": event["personal_id"],
        "occurred_on": _date_text(event["occurred_on"]),
        "recorded_at": _moment_text(event["recorded_at"]),
        "changes": changes,
        "previous": previous,
    }


def tells_anything(document: Mapping[str, Any]) -> bool:
    """Whether the reader may see any of what changed (a purpose that reads the permanent
    address follows moves, but not a move of the current address)."""
    return bool(document["changes"] or document["previous"])


def disclosed_fields(document: Mapping[str, Any]) -> list[str]:
    """The citizen fields a rendered event discloses, for the audit record."""
    names = {"personal_id", *document["changes"], *document["previous"]}
    return sorted(names)


def _date_text(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)[:10]


def _moment_text(value: Any) -> str:
    if hasattr(value, "isoformat"):
        text: str = value.isoformat()
        return text if value.tzinfo is not None else text + "+00:00"
    return str(value)
