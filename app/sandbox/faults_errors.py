"""Errors of fault injection (problem+json codes)."""

from __future__ import annotations

from http import HTTPStatus

from app.problems import ProblemError


class InvalidFaultRuleError(ProblemError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    title = "Unprocessable Content"


class InvalidRoutePatternError(InvalidFaultRuleError):
    code = "INVALID_ROUTE_PATTERN"


class UnknownAgencyError(InvalidFaultRuleError):
    code = "UNKNOWN_AGENCY"


class InvalidFaultEffectError(InvalidFaultRuleError):
    code = "INVALID_FAULT_EFFECT"


class InvalidExpiryError(InvalidFaultRuleError):
    code = "INVALID_EXPIRY"


class FaultRuleNotFoundError(ProblemError):
    status_code = HTTPStatus.NOT_FOUND
    code = "FAULT_RULE_NOT_FOUND"
    title = "Not Found"


class FaultsDisabledError(ProblemError):
    """Hardened mode: fault injection does not exist there."""

    status_code = HTTPStatus.NOT_FOUND
    code = "FAULTS_DISABLED"
    title = "Not Found"


class InvalidFaultHeaderError(ProblemError):
    status_code = HTTPStatus.BAD_REQUEST
    code = "INVALID_FAULT_HEADER"
    title = "Bad Request"
