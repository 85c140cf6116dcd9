"""Errors of the sandbox endpoints (problem+json codes)."""

from __future__ import annotations

from http import HTTPStatus

from app.problems import ProblemError


class InvalidAgeRangeError(ProblemError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "INVALID_AGE_RANGE"
    title = "Unprocessable Content"
