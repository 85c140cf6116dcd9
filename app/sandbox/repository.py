"""SQL of the sandbox endpoints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from app.models import Citizen
from app.models.enums import MaritalStatus, Sex

# Built once: aliasing a mapped class with this many columns costs milliseconds.
Spouse = aliased(Citizen, name="spouse")


def citizens_by_id(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """``id → (personal_id, full_name)`` of the citizens with these ids."""
    rows = session.execute(
        select(Citizen.id, Citizen.personal_id, Citizen.full_name).where(Citizen.id.in_(ids))
    )
    return {row.id: (row.personal_id, row.full_name) for row in rows}


@dataclass(frozen=True, slots=True)
class SampleFilter:
    """Which citizens a sample may hold; birth dates rather than ages, so SQL stays plain."""

    sex: Sex | None = None
    born_on_or_before: date | None = None  # from min_age
    born_after: date | None = None  # from max_age
    marital_statuses: tuple[MaritalStatus, ...] = ()
    alive: bool = True
    province: str | None = None  # first three digits of the personal ID


def citizen_id_bounds(session: Session) -> tuple[int, int] | None:
    """The smallest and largest citizen id, or None if the table is empty."""
    # Two statements: SQLite reads a lone min() or max() off the index, both together
    # in one statement scan the table.
    low = session.scalar(select(func.min(Citizen.id)))
    high = session.scalar(select(func.max(Citizen.id)))
    if low is None or high is None:
        return None
    return int(low), int(high)


def _conditions(wanted: SampleFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.sex is not None:
        conditions.append(Citizen.sex == wanted.sex)
    if wanted.born_on_or_before is not None:
        conditions.append(Citizen.birth_date <= wanted.born_on_or_before)
    if wanted.born_after is not None:
        conditions.append(Citizen.birth_date > wanted.born_after)
    if wanted.marital_statuses:
        conditions.append(Citizen.marital_status.in_(wanted.marital_statuses))
    if wanted.alive:
        conditions.append(Citizen.death_date.is_(None))
        conditions.append(Citizen.disappearance_date.is_(None))
    else:
        conditions.append(Citizen.death_date.is_not(None) | Citizen.disappearance_date.is_not(None))
    if wanted.province is not None:
        conditions.append(func.substr(Citizen.personal_id, 1, 3) == wanted.province)
    return conditions


def sample_window(
    session: Session, wanted: SampleFilter, first_id: int, end_id: int, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` matching citizens with ``first_id <= id < end_id``, in id order.

    Bounded on both sides so that the work is bounded too: both databases read the
    window off the primary key even without statistics, where an open-ended
    ``id >= x ORDER BY id LIMIT n`` can make PostgreSQL scan and sort the table.
    """
    statement = (
        select(
            Citizen.id,
            Citizen.personal_id,
            Citizen.full_name,
            Citizen.sex,
            Citizen.birth_date,
            Citizen.marital_status,
            Spouse.personal_id.label("spouse_personal_id"),
            Spouse.full_name.label("spouse_full_name"),
        )
        .outerjoin(Spouse, Spouse.id == Citizen.spouse_id)
        .where(Citizen.id >= first_id, Citizen.id < end_id, *_conditions(wanted))
        .order_by(Citizen.id)
        .limit(limit)
    )
    return [dict(row._mapping) for row in session.execute(statement)]
