"""Months and fees, without a database."""

from datetime import UTC, datetime

import pytest

from app.usage.errors import InvalidMonthError
from app.usage.service import Month, OperationUsage, Statement, parse_month


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-10", "2026-10", "2026-11"),
        ("2026-12", "2026-12", "2027-01"),
        ("2027-01", "2027-01", "2027-02"),
    ],
)
def test_a_month_spans_its_occurred_at_prefixes(text: str, start: str, end: str) -> None:
    month = parse_month(text)
    assert (month.start, month.end, str(month)) == (start, end, start)


def test_no_month_means_the_current_month_in_utc() -> None:
    # 03:00 on 1 November in Hanoi (UTC+7) is still October in UTC.
    assert parse_month(None, now=datetime(2026, 10, 31, 20, 0, tzinfo=UTC)) == Month(2026, 10)


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-1", "26-10", "october", "2026-10-01", ""]
)
def test_an_invalid_month_is_refused(text: str) -> None:
    with pytest.raises(InvalidMonthError) as raised:
        parse_month(text)
    assert (raised.value.status_code, raised.value.code) == (422, "INVALID_MONTH")
    assert "YYYY-MM" in raised.value.detail


def test_the_fee_is_1000_vnd_per_field_checked() -> None:
    statement = Statement(
        "saomai-telecom",
        Month(2026, 10),
        [OperationUsage("verify", 2, 6), OperationUsage("batch_verify", 4, 11)],
    )
    assert statement.operations[1].fee_vnd == 11_000
    assert (statement.verifications, statement.fields_checked) == (6, 17)
    assert statement.fee_vnd == 17_000
