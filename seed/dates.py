"""Calendar arithmetic on numpy ``datetime64[D]`` arrays, and the seed's fixed "today"."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Dates = npt.NDArray[np.datetime64]
IntArray = npt.NDArray[np.int64]

# Seeded data describe the registry on this day, whatever the wall clock says, so
# that one seed gives the same database today and next year.
REFERENCE_DATE = np.datetime64("2026-11-01", "D")
# The national population database went live on this day; records predating it
# were loaded in the first half of 2021.
REGISTRY_LAUNCH = np.datetime64("2021-07-01", "D")
DAYS_PER_YEAR = 365.2425


def days_ago(years: npt.NDArray[np.float64]) -> Dates:
    """The date ``years`` (fractional) before the reference date."""
    return REFERENCE_DATE - np.round(years * DAYS_PER_YEAR).astype("timedelta64[D]")


def year_of(dates: Dates) -> IntArray:
    return dates.astype("datetime64[Y]").astype(np.int64) + 1970


def add_years(dates: Dates, years: IntArray | int) -> Dates:
    """The same day ``years`` later; 29 February becomes 28 February in common years."""
    months = dates.astype("datetime64[M]")
    day = (dates - months.astype("datetime64[D]")).astype(np.int64)
    target = months + np.asarray(years, dtype=np.int64) * 12
    month_length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    return target.astype("datetime64[D]") + np.minimum(day, month_length - 1)  # type: ignore[no-any-return]


class Anniversaries:
    """``add_years`` for many year counts over the same dates, decomposing them once."""

    def __init__(self, dates: Dates) -> None:
        self._months = dates.astype("datetime64[M]")
        self._day = (dates - self._months.astype("datetime64[D]")).astype(np.int64)

    def after(self, years: int) -> Dates:
        target = self._months + years * 12
        start = target.astype("datetime64[D]")
        month_length = ((target + 1).astype("datetime64[D]") - start).astype(np.int64)
        result: Dates = start + np.minimum(self._day, month_length - 1)
        return result


def completed_years(start: Dates, end: Dates) -> IntArray:
    """Whole years from ``start`` to ``end`` (an age on a given day)."""
    years = year_of(end) - year_of(start)
    not_yet = add_years(start, years) > end
    return years - not_yet.astype(np.int64)


def iso(dates: Dates) -> list[str]:
    strings: list[str] = np.datetime_as_string(dates, unit="D").tolist()
    return strings


def iso_or_none(dates: Dates, present: npt.NDArray[np.bool_]) -> list[str | None]:
    strings = iso(dates)
    return [s if p else None for s, p in zip(strings, present.tolist(), strict=True)]


def timestamps(days: Dates, seconds: IntArray) -> list[str]:
    """UTC timestamps formatted as SQLAlchemy stores them on SQLite."""
    stamps = days.astype("datetime64[us]") + seconds.astype("timedelta64[s]")
    text = np.datetime_as_string(stamps, unit="us").astype("S26")
    text.view(np.uint8).reshape(-1, 26)[:, 10] = ord(" ")
    strings: list[str] = text.astype("U26").tolist()
    return strings
