"""All SQL of the statistics: one ``GROUP BY`` over the citizen table per query.

Every dimension is an expression over the citizen's columns that yields its category
code, the same expression whether it groups or filters, so a filtered table is exactly
a slice of the unfiltered one. Ages are computed in SQL from the birth date and the
reference date as completed years: born on or before ``as_of`` minus n years means aged
n or more, a comparison of dates that both SQLite and PostgreSQL make in date order.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, String, and_, case, cast, func, literal, select
from sqlalchemy.sql.elements import ColumnElement

from app.models import Citizen
from app.statistics import geography
from app.statistics.dimensions import (
    ETHNIC_GROUPS,
    LOWER_BOUNDS,
    OTHER_ETHNICITY,
    AgeBands,
    Dimension,
    VitalStatus,
    age_band_code,
)


@dataclass(frozen=True, slots=True)
class TableQuery:
    group_by: tuple[Dimension, ...]
    filters: dict[Dimension, tuple[str, ...]]
    age_bands: AgeBands
    age_min: int | None
    age_max: int | None
    as_of: date
    vital_status: VitalStatus


def years_before(day: date, years: int) -> date:
    """The date ``years`` years before ``day`` (28 February for a 29th in a common year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def aged_at_least(as_of: date, years: int) -> ColumnElement[bool]:
    """Whether the citizen has completed ``years`` years of age on ``as_of``.

    A comparison of the birth date with a date computed here: dates compare in order on
    both databases (SQLite stores them as ISO text), with no date function per row.
    """
    return Citizen.birth_date <= years_before(as_of, years)


def _age_band(as_of: date, bands: AgeBands) -> ColumnElement[str]:
    """The band of the citizen's age: a binary search over the bands' first birth dates."""
    bounds = LOWER_BOUNDS[bands]
    codes = [age_band_code(lower, upper - 1) for lower, upper in itertools.pairwise(bounds)]
    codes.append(age_band_code(bounds[-1], None))

    def search(lo: int, hi: int) -> Any:
        if lo == hi:
            return literal(codes[lo], String)
        mid = (lo + hi) // 2
        younger = ~aged_at_least(as_of, bounds[mid + 1])
        return case((younger, search(lo, mid)), else_=search(mid + 1, hi))

    result: ColumnElement[str] = search(0, len(codes) - 1)
    return result


def _province(column: Any, runs: Sequence[tuple[str, str]]) -> ColumnElement[str]:
    """The province of a ward code: the first run whose last code is not below it.

    A binary search written as nested ``CASE``s, seven comparisons instead of up to 70.
    """

    def search(lo: int, hi: int) -> Any:
        if lo == hi:
            return literal(runs[lo][1], String)
        mid = (lo + hi) // 2
        return case((column <= runs[mid][0], search(lo, mid)), else_=search(mid + 1, hi))

    unknown = literal(geography.UNKNOWN, String)
    province: ColumnElement[str] = case(
        (column.is_(None), unknown), (column > runs[-1][0], unknown), else_=search(0, len(runs) - 1)
    )
    return province


def _expression(dimension: Dimension, query: TableQuery) -> ColumnElement[Any]:
    places = geography.gazetteer()
    unknown = literal(geography.UNKNOWN, String)
    if dimension is Dimension.PROVINCE:
        return _province(Citizen.permanent_legacy_ward_code, places.legacy_runs)
    if dimension is Dimension.PROVINCE_2025:
        return _province(Citizen.permanent_ward_code, places.runs_2025)
    if dimension is Dimension.WARD:
        return func.coalesce(Citizen.permanent_legacy_ward_code, unknown)
    if dimension is Dimension.WARD_2025:
        return func.coalesce(Citizen.permanent_ward_code, unknown)
    if dimension is Dimension.SEX:
        return Citizen.sex.expression
    if dimension is Dimension.AGE_BAND:
        return _age_band(query.as_of, query.age_bands)
    if dimension is Dimension.ETHNICITY:
        return case(
            (Citizen.ethnicity.in_(ETHNIC_GROUPS), Citizen.ethnicity),
            else_=literal(OTHER_ETHNICITY, String),
        )
    if dimension is Dimension.MARITAL_STATUS:
        return Citizen.marital_status.expression
    return cast(Citizen.vneid_level, String)


def _vital(status: VitalStatus) -> ColumnElement[bool] | None:
    if status is VitalStatus.ALIVE:
        return and_(Citizen.death_date.is_(None), Citizen.disappearance_date.is_(None))
    if status is VitalStatus.DECEASED:
        return Citizen.death_date.is_not(None)
    if status is VitalStatus.MISSING:
        return and_(Citizen.death_date.is_(None), Citizen.disappearance_date.is_not(None))
    return None


def _conditions(query: TableQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Citizen.birth_date <= query.as_of]
    vital = _vital(query.vital_status)
    if vital is not None:
        conditions.append(vital)
    for dimension, codes in query.filters.items():
        conditions.append(_expression(dimension, query).in_(codes))
    if query.age_min is not None:
        conditions.append(aged_at_least(query.as_of, query.age_min))
    if query.age_max is not None:
        conditions.append(~aged_at_least(query.as_of, query.age_max + 1))
    return conditions


def count_table(engine: Engine, query: TableQuery) -> list[tuple[tuple[str, ...], int]]:
    """Citizens per combination of the ``group_by`` codes (combinations with none absent).

    The dimensions are computed in a subquery and grouped outside it: PostgreSQL does not
    recognise an expression with bound parameters in ``GROUP BY`` as the one selected.
    """
    columns = [
        _expression(dimension, query).label(f"d{i}") for i, dimension in enumerate(query.group_by)
    ]
    inner = select(*columns).where(*_conditions(query)).subquery()
    keys = [inner.c[f"d{i}"] for i in range(len(columns))]
    statement = select(*keys, func.count().label("n")).group_by(*keys)
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    return [(tuple(str(value) for value in row[:-1]), int(row[-1])) for row in rows]
