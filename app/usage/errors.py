"""Errors of the usage statements."""

from __future__ import annotations

from http import HTTPStatus

from app.problems import ProblemError


class InvalidMonthError(ProblemError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "INVALID_MONTH"
    title = "Unprocessable Content"
