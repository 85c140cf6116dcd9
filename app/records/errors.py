"""Why a sector record is refused; a batch answers the same codes per record."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus

from app.events.errors import CitizenDeceasedError
from app.identity.errors import CitizenNotFoundError
from app.problems import ProblemError

__all__ = [
    "CitizenDeceasedError",
    "CitizenNotFoundError",
    "HolderMismatchError",
    "InvalidRecordError",
    "KindNotAllowedError",
]


class KindNotAllowedError(ProblemError):
    """The purpose may not push (or read the history of) this kind of record."""

    status_code = HTTPStatus.FORBIDDEN
    code = "KIND_NOT_ALLOWED"
    title = "Record kind not allowed"


class InvalidRecordError(ProblemError):
    """The record breaks its kind's rules: number format, data fields, validity dates."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "INVALID_RECORD"
    title = "Invalid record"

    def __init__(self, detail: str, errors: Sequence[Mapping[str, str]]) -> None:
        super().__init__(detail, extensions={"errors": [dict(e) for e in errors]})
        self.errors = [dict(e) for e in errors]


class HolderMismatchError(ProblemError):
    """The name or birth date the sender holds does not agree with the registry's."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "HOLDER_MISMATCH"
    title = "Holder mismatch"
