"""Audit entries for what an agency asked and what it was given or refused."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.audit.records import AuditEntry
from app.auth.principal import Principal
from app.problems import ProblemError

# What a refusal is called in the log, by HTTP status.
_OUTCOMES = {404: "not_found", 422: "invalid", 503: "unavailable"}


def disclosure(
    principal: Principal,
    purpose: str,
    operation: str,
    request_id: str | None,
    *,
    personal_id: str | None,
    fields: Iterable[str],
    outcome: str = "disclosed",
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry(
        operation=operation,
        outcome=outcome,
        agency_code=principal.agency_code,
        purpose=purpose,
        personal_id=personal_id,
        fields=tuple(fields),
        request_id=request_id,
        detail=_with_credential(principal, detail),
    )


def refusal(
    principal: Principal,
    purpose: str | None,
    operation: str,
    request_id: str | None,
    error: ProblemError,
    *,
    personal_id: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry(
        operation=operation,
        outcome=_OUTCOMES.get(error.status_code, "denied"),
        agency_code=principal.agency_code,
        purpose=purpose,
        personal_id=personal_id,
        code=error.code,
        request_id=request_id,
        detail=_with_credential(principal, detail),
    )


def _with_credential(principal: Principal, detail: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"credential": principal.credential, **(detail or {})}
