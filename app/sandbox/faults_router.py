"""Fault-injection rules: make the sandbox misbehave on purpose (admin token, sandbox mode)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from app.auth.dependencies import AdminDep
from app.config import Mode, Settings
from app.db import SessionDep
from app.problems import problem_responses
from app.sandbox import faults_service as service
from app.sandbox.faults_cache import FaultRules
from app.sandbox.faults_errors import FaultsDisabledError
from app.sandbox.faults_schemas import (
    FaultRuleCreate,
    FaultRuleList,
    FaultRuleRead,
    FaultRulesCleared,
)


def require_sandbox_mode(request: Request) -> None:
    settings: Settings = request.app.state.settings
    if settings.mode is not Mode.SANDBOX:
        raise FaultsDisabledError(
            "Fault injection exists only in sandbox mode (POPREG_MODE=sandbox)."
        )


router = APIRouter(
    prefix="/v1/sandbox/faults",
    tags=["sandbox"],
    dependencies=[Depends(require_sandbox_mode), AdminDep],
)

BASE = {403: ["ADMIN_REQUIRED"], 404: ["FAULTS_DISABLED"]}
CREATE_ERRORS = problem_responses(
    403,
    404,
    422,
    codes={
        **BASE,
        422: [
            "VALIDATION_FAILED",
            "MALFORMED_JSON",
            "INVALID_ROUTE_PATTERN",
            "UNKNOWN_AGENCY",
            "INVALID_FAULT_EFFECT",
            "INVALID_EXPIRY",
        ],
    },
)
LIST_ERRORS = problem_responses(403, 404, codes=BASE)
ONE_ERRORS = problem_responses(
    403, 404, codes={**BASE, 404: ["FAULTS_DISABLED", "FAULT_RULE_NOT_FOUND"]}
)
RuleId = Annotated[
    str, Path(max_length=40, description="The rule's id.", examples=["flt_5c1d9e0a7b3f4e21"])
]


def _faults(request: Request) -> FaultRules:
    faults: FaultRules = request.app.state.faults
    return faults


@router.post(
    "",
    summary="Create a fault rule (admin)",
    status_code=201,
    response_model=FaultRuleRead,
    responses=CREATE_ERRORS,
)
def create_fault(body: FaultRuleCreate, request: Request, session: SessionDep) -> FaultRuleRead:
    """Make matching requests fail on purpose, to test a client's retries, timeouts and
    error handling: `latency` (fixed `ms`, uniform `min_ms`–`max_ms`, or normal
    `mean_ms`/`stddev_ms`; at most 30 s), `error` (500, 502, 503 with `retry_after`, 504:
    problem+json `INJECTED_FAULT`), `drop` (the connection is closed without an answer) or
    `slow_body` (the real answer at `bytes_per_second`). A request matches when its path
    fits the `route` glob, its method is in `methods` and its caller is `agency` (both
    optional); then it is faulted with `probability`. Every server process applies the rule
    within about a second; every injected fault is in the audit log (`fault_injected`).
    Health probes and these endpoints are never faulted. Sandbox mode only."""
    now = datetime.now(UTC)
    created = service.create_rule(session, body, now)
    _faults(request).install(service.active_rules(session, now))
    return created


@router.get(
    "",
    summary="List fault rules (admin)",
    responses=LIST_ERRORS,
)
def list_faults(request: Request, session: SessionDep) -> FaultRuleList:
    """The rules not expired yet, oldest first (the order they are tried in), each with the
    faults it injected so far in every server process (others' counts arrive within about
    a second of their next request)."""
    return service.list_rules(session, datetime.now(UTC), _faults(request).unflushed())


@router.delete(
    "/{rule_id}",
    summary="Delete a fault rule (admin)",
    status_code=204,
    responses=ONE_ERRORS,
)
def delete_fault(rule_id: RuleId, request: Request, session: SessionDep) -> Response:
    """Stop injecting this rule's fault (in other server processes within about a second)."""
    service.delete_rule(session, rule_id)
    _faults(request).install(service.active_rules(session, datetime.now(UTC)))
    return Response(status_code=204)


@router.delete(
    "",
    summary="Delete every fault rule (admin)",
    responses=LIST_ERRORS,
)
def clear_faults(request: Request, session: SessionDep) -> FaultRulesCleared:
    """Remove all rules: the sandbox behaves again (other processes within about a second)."""
    deleted = service.clear_rules(session)
    _faults(request).install(())
    return FaultRulesCleared(deleted=deleted)
