"""All SQL of civil-registry operations: the citizen rows they read and change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, exists, insert, or_, select, update

from app.models import Citizen, Household, IdentityCard, PersonalIdHistory

Row = dict[str, Any]
CITIZEN_COLUMNS = tuple(
    column for column in Citizen.__table__.columns if column.name not in ("created_at",)
)


def citizen_by_personal_id(connection: Connection, personal_id: str) -> Row | None:
    row = connection.execute(
        select(*CITIZEN_COLUMNS).where(Citizen.personal_id == personal_id)
    ).first()
    return None if row is None else dict(row._mapping)


def citizen_by_id(connection: Connection, citizen_id: int) -> Row | None:
    row = connection.execute(select(*CITIZEN_COLUMNS).where(Citizen.id == citizen_id)).first()
    return None if row is None else dict(row._mapping)


def personal_id_taken(connection: Connection, personal_id: str) -> bool:
    """Whether the number is anyone's, now or before a correction (numbers are never reused)."""
    current = exists().where(Citizen.personal_id == personal_id)
    withdrawn = exists().where(PersonalIdHistory.previous_personal_id == personal_id)
    return bool(connection.execute(select(or_(current, withdrawn))).scalar())


def insert_citizen(connection: Connection, values: Row) -> int:
    result = connection.execute(insert(Citizen).values(**values).returning(Citizen.id))
    return int(result.scalar_one())


def update_citizen(connection: Connection, citizen_id: int, values: Row) -> None:
    connection.execute(update(Citizen).where(Citizen.id == citizen_id).values(**values))


def household(connection: Connection, household_id: int) -> Row | None:
    row = connection.execute(
        select(
            Household.id,
            Household.household_number,
            Household.address,
            Household.address_2025,
            Household.legacy_ward_code,
            Household.ward_code,
        ).where(Household.id == household_id)
    ).first()
    return None if row is None else dict(row._mapping)


def insert_card(connection: Connection, values: Row) -> None:
    connection.execute(insert(IdentityCard).values(**values))


def withdraw_personal_id(connection: Connection, values: Row) -> None:
    connection.execute(insert(PersonalIdHistory).values(**values))
