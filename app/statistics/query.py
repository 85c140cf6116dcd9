"""A statistics query as asked (query-string values) and as checked: pure rules, no I/O."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from app.models.enums import CitizenField
from app.statistics import geography
from app.statistics.dimensions import (
    FIELDS,
    AgeBands,
    Category,
    Dimension,
    VitalStatus,
    categories,
    vocabulary,
)
from app.statistics.errors import (
    InvalidAgeRangeError,
    InvalidFilterError,
    InvalidGroupByError,
    InvalidReferenceDateError,
    ThresholdTooLowError,
    TooManyCellsError,
    TooManyDimensionsError,
)
from app.statistics.repository import TableQuery

MAX_DIMENSIONS = 3
MAX_CELLS = 5_000
MAX_K = 1_000
MAX_AGE = 150
ROUNDING_BASES = (5, 10)
# Age filters and bands start on multiples of 5 under disclosure control, so every age
# group any query can form is a union of 5-year bands (no one-year slices to subtract).
AGE_STEP = 5
EARLIEST_AS_OF = date(1900, 1, 1)
LATEST_AS_OF = date(2100, 12, 31)
FILTERABLE = tuple(d for d in Dimension if d is not Dimension.AGE_BAND)


@dataclass(frozen=True, slots=True)
class Asked:
    """The query-string values of ``GET /v1/statistics/population``."""

    group_by: list[str]
    filters: Mapping[Dimension, str] = field(default_factory=dict)  # comma-separated codes
    age_bands: AgeBands = AgeBands.TEN
    age_min: int | None = None
    age_max: int | None = None
    as_of: date | None = None
    vital_status: VitalStatus = VitalStatus.ALIVE
    k: int | None = None
    rounding_base: int = 5
    disclosure_control: bool = True


@dataclass(frozen=True, slots=True)
class Checked:
    table: TableQuery
    dimensions: list[tuple[Dimension, list[Category]]]
    fields: frozenset[CitizenField]  # what the purpose must hold
    k: int
    rounding_base: int
    disclosure_control: bool

    @property
    def cells(self) -> int:
        return math.prod(len(found) for _, found in self.dimensions)


def _group_by(values: list[str]) -> tuple[Dimension, ...]:
    names = [name.strip() for value in values for name in value.split(",")]
    known = ", ".join(d.value for d in Dimension)
    dimensions: list[Dimension] = []
    for name in names:
        if name not in Dimension.__members__.values():
            raise InvalidGroupByError(f"Cannot group by {name[:40]!r}; the dimensions are {known}.")
        dimension = Dimension(name)
        if dimension in dimensions:
            raise InvalidGroupByError(f"{name!r} is named twice in group_by.")
        dimensions.append(dimension)
    if len(dimensions) > MAX_DIMENSIONS:
        raise TooManyDimensionsError(
            f"A table has at most {MAX_DIMENSIONS} dimensions; group_by names {len(dimensions)}. "
            "Filter on the others instead."
        )
    return tuple(dimensions)


def _filter(dimension: Dimension, text: str) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(code.strip() for code in text.split(",") if code.strip()))
    if not codes:
        raise InvalidFilterError(f"The {dimension.value} filter names no value.")
    allowed = vocabulary(dimension)
    for code in codes:
        if allowed is None and not geography.known(dimension.value, code):
            raise InvalidFilterError(
                f"{code[:20]!r} is no {dimension.value} code "
                f"(codes as in seed/data/wards.csv, or {geography.UNKNOWN!r})."
            )
        if allowed is not None and code not in allowed:
            raise InvalidFilterError(
                f"{code[:40]!r} is no {dimension.value} value; the values are {', '.join(allowed)}."
            )
    return codes


def _ages(asked: Asked) -> None:
    low, high = asked.age_min, asked.age_max
    for name, value in (("age_min", low), ("age_max", high)):
        if value is not None and not 0 <= value <= MAX_AGE:
            raise InvalidAgeRangeError(f"{name} must be between 0 and {MAX_AGE}.")
    if low is not None and high is not None and low > high:
        raise InvalidAgeRangeError(f"age_min ({low}) is above age_max ({high}).")
    if not asked.disclosure_control:
        return
    if low is not None and low % AGE_STEP:
        raise InvalidAgeRangeError(
            f"age_min must be a multiple of {AGE_STEP} (got {low}): single years of age "
            "could be recovered by subtracting two tables."
        )
    if high is not None and (high + 1) % AGE_STEP:
        raise InvalidAgeRangeError(
            f"age_max must end a 5-year band (4, 9, 14 …; got {high}): single years of age "
            "could be recovered by subtracting two tables."
        )


def check(asked: Asked, *, today: date, min_k: int) -> Checked:
    """The query's table, categories and needed fields, or the 422 that says what is wrong."""
    group_by = _group_by(asked.group_by)
    filters = {dimension: _filter(dimension, text) for dimension, text in asked.filters.items()}
    _ages(asked)
    as_of = asked.as_of or today
    if not EARLIEST_AS_OF <= as_of <= LATEST_AS_OF:
        raise InvalidReferenceDateError(
            f"as_of must lie between {EARLIEST_AS_OF} and {LATEST_AS_OF}."
        )
    k = min_k if asked.k is None else asked.k
    if asked.disclosure_control and k < min_k:
        raise ThresholdTooLowError(
            f"k may be raised but not lowered below {min_k} (POPREG_STATISTICS_MIN_K).",
            extensions={"min_k": min_k},
        )
    if asked.rounding_base not in ROUNDING_BASES:  # the router's parameter allows no other
        raise ValueError(f"rounding_base must be one of {ROUNDING_BASES}")
    table = TableQuery(
        group_by=group_by,
        filters=filters,
        age_bands=asked.age_bands,
        age_min=asked.age_min,
        age_max=asked.age_max,
        as_of=as_of,
        vital_status=asked.vital_status,
    )
    dimensions = [
        (dimension, categories(dimension, bands=asked.age_bands, filters=filters))
        for dimension in group_by
    ]
    checked = Checked(
        table=table,
        dimensions=dimensions,
        fields=_fields(table, dated=as_of != today),
        k=k,
        rounding_base=asked.rounding_base,
        disclosure_control=asked.disclosure_control,
    )
    if checked.cells > MAX_CELLS:
        sizes = " × ".join(f"{len(found)} {d.value}" for d, found in dimensions)
        raise TooManyCellsError(
            f"The table would have {checked.cells:,} cells ({sizes}); at most {MAX_CELLS:,}. "
            "Filter (e.g. by province) or group by fewer or coarser dimensions.",
            extensions={"cells": checked.cells, "max_cells": MAX_CELLS},
        )
    return checked


def _fields(table: TableQuery, *, dated: bool) -> frozenset[CitizenField]:
    """The citizen fields a purpose must hold for this table."""
    needed = {FIELDS[d] for d in (*table.group_by, *table.filters)}
    if table.age_min is not None or table.age_max is not None or dated:
        needed.add(CitizenField.BIRTH_DATE)  # who was born by as_of is a birth-date question
    if table.vital_status is not VitalStatus.ALIVE:
        needed.add(CitizenField.VITAL_STATUS)
    return frozenset(needed)
