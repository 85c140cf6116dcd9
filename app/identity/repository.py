"""All SQL of identity lookup and verification: plain indexed selects, no ORM objects.

Reads go through ``RawSession`` (plain driver SQL) and return rows as dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from app.db import RawSession
from app.models.citizen import VERIFICATION_INDEX

Record = dict[str, Any]
KEY_COLUMNS = frozenset({"personal_id", "legacy_id"})
COVERED = frozenset(VERIFICATION_INDEX)  # the columns of ix_citizen_verification
IN_CHUNK = 1000  # keys per IN (...) query


@lru_cache(maxsize=256)
def _select_where(key: str, columns: tuple[str, ...]) -> str:
    # Column names come from the fixed catalogue in fields.py, never from input.
    return f"SELECT {', '.join(columns)} FROM citizen WHERE {key} = ?"  # noqa: S608


def citizen_by_personal_id(
    session: RawSession, personal_id: str, columns: tuple[str, ...]
) -> Record | None:
    return session.one(_select_where("personal_id", columns), (personal_id,))


def citizens_by_legacy_id(
    session: RawSession, legacy_id: str, columns: tuple[str, ...]
) -> list[Record]:
    # Ordered by row id so that answers about a reused CMND are stable.
    rows = session.all(_select_where("legacy_id", columns), (legacy_id,))
    return sorted(rows, key=lambda row: int(row["id"]))


def people_by_ids(session: RawSession, citizen_ids: Sequence[int]) -> list[Record]:
    """Relatives as Article 9 field 15 lists them: personal ID, name, nationality."""
    if not citizen_ids:
        return []
    marks = ", ".join("?" * len(citizen_ids))
    return session.all(
        f"SELECT id, personal_id, full_name, nationality FROM citizen WHERE id IN ({marks})",  # noqa: S608
        tuple(citizen_ids),
    )


def children_of(session: RawSession, citizen_id: int) -> list[Record]:
    return session.all(
        "SELECT personal_id, full_name, nationality FROM citizen "
        "WHERE father_id = ? OR mother_id = ? ORDER BY birth_date, personal_id",
        (citizen_id, citizen_id),
    )


def cards_of(session: RawSession, citizen_id: int) -> list[Record]:
    return session.all(
        "SELECT number, kind, issued_on, issued_by, expires_on, has_chip "
        "FROM identity_card WHERE citizen_id = ? ORDER BY issued_on, id",
        (citizen_id,),
    )


def household_number(session: RawSession, household_id: int) -> str | None:
    row = session.one("SELECT household_number FROM household WHERE id = ?", (household_id,))
    return None if row is None else str(row["household_number"])


@lru_cache(maxsize=2048)
def _select_in(key: str, columns: tuple[str, ...], count: int, sqlite: bool) -> str:
    marks = ", ".join("?" * count)
    source = "citizen"
    if sqlite and key == "personal_id" and COVERED.issuperset(columns):
        # SQLite's planner takes the smaller unique index and then each row from the
        # table; the covering index answers from its own, mostly adjacent, pages.
        # (PostgreSQL picks an index-only scan by itself.)
        source = "citizen INDEXED BY ix_citizen_verification"
    return f"SELECT {', '.join(columns)} FROM {source} WHERE {key} IN ({marks})"  # noqa: S608


def citizens_by_keys(
    session: RawSession, key: str, values: Sequence[str], columns: tuple[str, ...]
) -> list[Record]:
    """Citizens whose ``key`` (personal_id or legacy_id) is one of ``values``, as dicts.

    Plain driver SQL, a thousand keys per query: SQLAlchemy's expanding ``IN`` and
    row objects cost more than SQLite's index lookups on batch paths.
    """
    if key not in KEY_COLUMNS:
        raise ValueError(f"not a lookup key: {key}")
    rows: list[Record] = []
    sqlite = session.dialect == "sqlite"
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        rows.extend(session.all(_select_in(key, columns, len(chunk), sqlite), chunk))
    return rows


def taken_personal_ids(session: RawSession, values: Sequence[str]) -> set[str]:
    """Which of ``values`` are citizens' personal IDs (the unique index alone answers)."""
    taken: set[str] = set()
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        for row in session.all(
            _select_in("personal_id", ("personal_id",), len(chunk), False), chunk
        ):
            taken.add(row["personal_id"])
    return taken
