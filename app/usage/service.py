"""Usage statements: verifications and fields checked per month, and the fee for them.

Metered from the audit log, so a verification is billed exactly when it was
recorded, and nothing extra is written on the hot path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection

from app.usage import repository
from app.usage.errors import InvalidMonthError

FEE_PER_FIELD_VND = 1_000
FEE_BASIS = "Circular 48/2022/TT-BTC"
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")


@dataclass(frozen=True, slots=True)
class Month:
    year: int
    month: int

    @property
    def start(self) -> str:
        """The ``occurred_at`` prefix of the month, e.g. ``2026-10``."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def end(self) -> str:
        """The prefix of the next month, where the month's records stop."""
        if self.month == 12:
            return f"{self.year + 1:04d}-01"
        return f"{self.year:04d}-{self.month + 1:02d}"

    def __str__(self) -> str:
        return self.start


def current_month(now: datetime | None = None) -> Month:
    now = now or datetime.now(UTC)
    return Month(now.year, now.month)


def parse_month(text: str | None, *, now: datetime | None = None) -> Month:
    """``YYYY-MM`` as a Month; None means the current month (UTC)."""
    if text is None:
        return current_month(now)
    matched = _MONTH.match(text.strip())
    if matched is None or not 1 <= int(matched[2]) <= 12 or int(matched[1]) < 1:
        raise InvalidMonthError(
            f"month must be a calendar month written YYYY-MM, e.g. 2026-10; got {text[:20]!r}."
        )
    return Month(int(matched[1]), int(matched[2]))


@dataclass(frozen=True, slots=True)
class OperationUsage:
    operation: str
    verifications: int = 0
    fields_checked: int = 0

    @property
    def fee_vnd(self) -> int:
        return self.fields_checked * FEE_PER_FIELD_VND


@dataclass(frozen=True, slots=True)
class Statement:
    """One agency's usage in one month."""

    agency_code: str
    month: Month
    operations: list[OperationUsage] = field(default_factory=list)

    @property
    def verifications(self) -> int:
        return sum(op.verifications for op in self.operations)

    @property
    def fields_checked(self) -> int:
        return sum(op.fields_checked for op in self.operations)

    @property
    def fee_vnd(self) -> int:
        return self.fields_checked * FEE_PER_FIELD_VND


def _statement(agency_code: str, month: Month, rows: list[repository.UsageRow]) -> Statement:
    found = {row.operation: row for row in rows}
    operations = [
        OperationUsage(op, found[op].verifications, found[op].fields_checked)
        if op in found
        else OperationUsage(op)
        for op in repository.METERED_OPERATIONS
    ]
    return Statement(agency_code, month, operations)


def agency_statement(connection: Connection, agency_code: str, month: Month) -> Statement:
    """The statement of one agency, every metered operation listed (zeros included)."""
    rows = repository.usage(connection, start=month.start, end=month.end, agency_code=agency_code)
    return _statement(agency_code, month, rows)


def statements(connection: Connection, month: Month) -> list[Statement]:
    """A statement for every agency, and for any code in the log no longer registered."""
    by_agency: dict[str, list[repository.UsageRow]] = {
        code: [] for code in repository.agency_codes(connection)
    }
    for row in repository.usage(connection, start=month.start, end=month.end):
        by_agency.setdefault(row.agency_code, []).append(row)
    return [_statement(code, month, by_agency[code]) for code in sorted(by_agency)]
