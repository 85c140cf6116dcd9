"""The rules of fault rules: what a valid rule is, and how a stored one is used."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from app.models import FaultRule
from app.models.base import as_utc
from app.sandbox import faults_repository as repository
from app.sandbox.faults_errors import (
    FaultRuleNotFoundError,
    InvalidExpiryError,
    InvalidFaultEffectError,
    InvalidRoutePatternError,
    UnknownAgencyError,
)
from app.sandbox.faults_rules import DEFAULT_RETRY_AFTER, Effect, Rule, compile_route
from app.sandbox.faults_schemas import (
    ErrorEffect,
    FaultEffect,
    FaultRuleCreate,
    FaultRuleList,
    FaultRuleRead,
    LatencyEffect,
)

_effects: TypeAdapter[FaultEffect] = TypeAdapter(FaultEffect)


def create_rule(session: Session, body: FaultRuleCreate, now: datetime) -> FaultRuleRead:
    """Check and store a rule; 422 problems say which part is wrong."""
    try:
        compile_route(body.route)
    except ValueError as exc:
        raise InvalidRoutePatternError(f"route {body.route!r}: {exc}.") from exc
    if body.agency is not None and not repository.agency_exists(session, body.agency):
        raise UnknownAgencyError(
            f"There is no agency {body.agency!r} (see GET /v1/admin/agencies)."
        )
    effect = _effect_document(body)
    repository.delete_expired(session, now)
    rule = repository.add_rule(
        session,
        FaultRule(
            id="flt_" + secrets.token_hex(8),
            agency_code=body.agency,
            route=body.route,
            methods=sorted({method.value for method in body.methods or ()}),
            probability=body.probability,
            effect=effect,
            description=body.description,
            created_at=now,
            expires_at=_expiry(body, now),
            hits=0,
        ),
    )
    return to_read(rule)


def _effect_document(body: FaultRuleCreate) -> dict[str, Any]:
    """The effect as stored, once its parts are known to fit together."""
    effect = body.effect
    if isinstance(effect, LatencyEffect):
        forms = [
            name
            for name, given in (
                ("ms", effect.ms is not None),
                ("min_ms/max_ms", effect.min_ms is not None or effect.max_ms is not None),
                ("mean_ms/stddev_ms", effect.mean_ms is not None or effect.stddev_ms is not None),
            )
            if given
        ]
        if len(forms) != 1:
            raise InvalidFaultEffectError(
                "A latency effect takes exactly one of: ms (fixed), min_ms and max_ms "
                f"(uniform), mean_ms and stddev_ms (normal); got {', '.join(forms) or 'none'}."
            )
        if forms[0] == "min_ms/max_ms" and (
            effect.min_ms is None or effect.max_ms is None or effect.min_ms > effect.max_ms
        ):
            raise InvalidFaultEffectError("A uniform latency needs min_ms <= max_ms, both given.")
        if forms[0] == "mean_ms/stddev_ms" and (effect.mean_ms is None or effect.stddev_ms is None):
            raise InvalidFaultEffectError("A normal latency needs both mean_ms and stddev_ms.")
    document = effect.model_dump(mode="json", exclude_none=True)
    if isinstance(effect, ErrorEffect):
        if effect.retry_after is not None and effect.status != 503:
            raise InvalidFaultEffectError("retry_after goes with status 503 only.")
        if effect.status == 503:
            document.setdefault("retry_after", DEFAULT_RETRY_AFTER)
    return document


def _expiry(body: FaultRuleCreate, now: datetime) -> datetime | None:
    if body.expires_in is not None and body.expires_at is not None:
        raise InvalidExpiryError("Give expires_in or expires_at, not both.")
    if body.expires_in is not None:
        return now + timedelta(seconds=body.expires_in)
    if body.expires_at is None:
        return None
    if body.expires_at.tzinfo is None:
        raise InvalidExpiryError("expires_at needs a time zone, e.g. 2026-11-22T10:00:00Z.")
    if body.expires_at <= now:
        raise InvalidExpiryError(f"expires_at ({body.expires_at.isoformat()}) is in the past.")
    return body.expires_at.astimezone(UTC)


def list_rules(session: Session, now: datetime, unflushed: Mapping[str, int]) -> FaultRuleList:
    """Unexpired rules, with the hits this process has not written yet added in."""
    return FaultRuleList(
        rules=[
            to_read(row, unflushed.get(row.id, 0)) for row in repository.active_rules(session, now)
        ]
    )


def delete_rule(session: Session, rule_id: str) -> None:
    rule = repository.get_rule(session, rule_id)
    if rule is None:
        raise FaultRuleNotFoundError(
            f"No fault rule {rule_id!r} (GET /v1/sandbox/faults lists them)."
        )
    repository.delete_rule(session, rule)


def clear_rules(session: Session) -> int:
    return repository.delete_all(session)


def active_rules(session: Session, now: datetime) -> list[Rule]:
    """The unexpired rules, compiled for the edge, oldest first."""
    return [to_rule(row) for row in repository.active_rules(session, now)]


def to_rule(row: FaultRule) -> Rule:
    expires_at = as_utc(row.expires_at).timestamp() if row.expires_at is not None else None
    return Rule(
        id=row.id,
        agency=row.agency_code,
        route=row.route,
        pattern=compile_route(row.route),
        methods=frozenset(row.methods),
        probability=row.probability,
        effect=Effect.from_document(row.effect),
        expires_at=expires_at,
    )


def to_read(row: FaultRule, unflushed_hits: int = 0) -> FaultRuleRead:
    return FaultRuleRead.model_validate(
        {
            "id": row.id,
            "agency": row.agency_code,
            "route": row.route,
            "methods": row.methods,
            "probability": row.probability,
            "effect": _effects.validate_python(row.effect),
            "description": row.description,
            "created_at": as_utc(row.created_at),
            "expires_at": as_utc(row.expires_at) if row.expires_at is not None else None,
            "hits": row.hits + unflushed_hits,
        }
    )
