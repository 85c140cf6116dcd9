"""Birth dates: the notations integrators send, and year-only registry records."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from app.identity.matching.codes import one_digit_off
from app.identity.matching.verdicts import FIXED, NOT_PROVIDED, FieldMatch, Reason
from app.models.enums import BirthDatePrecision

MAX_DATE_LENGTH = 64

# Year first is always year-month-day; day first is the Vietnamese day/month/year.
# The two separators must be the same character.
_DATE = re.compile(
    r"(?P<y1>[0-9]{4})(?P<s1>[-/.])(?P<m1>[0-9]{1,2})(?P=s1)(?P<d1>[0-9]{1,2})"
    r"|(?P<d2>[0-9]{1,2})(?P<s2>[-/.])(?P<m2>[0-9]{1,2})(?P=s2)(?P<y2>[0-9]{4})"
    r"|(?P<y3>[0-9]{4})"
)


def _parts(text: str) -> tuple[int, int, int] | int | None:
    """(year, month, day) as written, a bare year, or None if no accepted notation fits."""
    if len(text) > MAX_DATE_LENGTH:
        return None
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)  # full-width digits
    found = _DATE.fullmatch(text.strip())
    if found is None:
        return None
    parts = found.groupdict()
    if parts["y3"] is not None:
        return int(parts["y3"])
    if parts["y1"] is not None:
        return int(parts["y1"]), int(parts["m1"]), int(parts["d1"])
    return int(parts["y2"]), int(parts["m2"]), int(parts["d2"])


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_claimed_date(text: str) -> date | int | None:
    """A full date, a bare year (``int``), or None if the text is none of the accepted notations.

    Accepted, surrounding whitespace ignored: ``YYYY-MM-DD`` (also with ``/`` or ``.``),
    ``DD/MM/YYYY`` (also with ``-`` or ``.``), day and month with one or two digits,
    and ``YYYY`` alone. Impossible dates (31/02/1990) and year 0000 are None.
    """
    parts = _parts(text)
    if isinstance(parts, int):
        return parts if parts >= 1 else None
    return None if parts is None else _date(*parts)


def _digits(value: date) -> str:
    return f"{value.day:02d}{value.month:02d}{value.year:04d}"


def match_birth_date(
    claimed: str | date | None,
    registered: date,
    precision: BirthDatePrecision = BirthDatePrecision.FULL,
) -> FieldMatch:
    """Compare a claimed birth date (date, ISO, DD/MM/YYYY or YYYY) with the registered one.

    ``precision`` is the registered record's: ``year`` means only ``registered.year`` is known.
    """
    value: date | int | None
    if claimed is None:
        return NOT_PROVIDED
    if isinstance(claimed, datetime):
        value = claimed.date()
    elif isinstance(claimed, date):
        value = claimed
    elif isinstance(claimed, str):
        if not claimed.strip():
            return NOT_PROVIDED
        value = parse_claimed_date(claimed)
        if value is None:
            return _unparseable(claimed, registered)
    else:
        value = None
    if value is None:
        return FIXED[Reason.INVALID_FORMAT]

    if isinstance(value, int) or precision is BirthDatePrecision.YEAR:
        year = value if isinstance(value, int) else value.year
        if year == registered.year:
            both_years = isinstance(value, int) and precision is BirthDatePrecision.YEAR
            return FIXED[Reason.EXACT if both_years else Reason.YEAR_ONLY]
        if one_digit_off(f"{year:04d}", f"{registered.year:04d}"):
            return FIXED[Reason.WRONG_DIGIT]
        return FIXED[Reason.DIFFERENT]

    if value == registered:
        return FIXED[Reason.EXACT]
    if (
        value.year == registered.year
        and value.day == registered.month
        and value.month == registered.day
    ):
        return FIXED[Reason.DAY_MONTH_SWAPPED]
    if one_digit_off(_digits(value), _digits(registered)):
        return FIXED[Reason.WRONG_DIGIT]
    return FIXED[Reason.DIFFERENT]


def _unparseable(claimed: str, registered: date) -> FieldMatch:
    """``day_month_swapped`` for 03/15/1990 against 15 March 1990 (month 15 cannot be)."""
    parts = _parts(claimed)
    if isinstance(parts, tuple) and _date(parts[0], parts[2], parts[1]) == registered:
        return FIXED[Reason.DAY_MONTH_SWAPPED]
    return FIXED[Reason.INVALID_FORMAT]
