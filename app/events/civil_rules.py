"""Rules of civil status the registry checks before it records a change. Pure functions.

Ages follow the Law on Marriage and Family 2014 (Art. 8: men from 20, women
from 18; no marriage between people of the same direct line or siblings) and
the 2023 Identity Law (card expiry at 14, 25, 40 and 60).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from app.events.errors import (
    CitizenDeceasedError,
    InvalidEventDateError,
    MarriageNotAllowedError,
    ParentNotEligibleError,
)
from app.identity.documents import iso_date
from app.models.enums import Sex

MARRIAGE_AGE = {Sex.MALE: 20, Sex.FEMALE: 18}
MIN_PARENT_AGE = 13  # years between a parent's birth and a child's
MAX_MOTHER_AGE = 65
# A child born up to about ten months after the father's death is still his.
POSTHUMOUS_DAYS = 300


def as_date(value: Any) -> date:
    """Dates come back as ``date`` (PostgreSQL) or ISO text (SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def anniversary(born: date, years: int) -> date:
    """The date ``born`` turns ``years`` (29 February counts as 1 March in other years)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return date(born.year + years, 3, 1)


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def check_event_date(day: date, today: date, citizen: Mapping[str, Any] | None = None) -> None:
    """An event happens neither in the future nor before its subject was born."""
    if day > today:
        raise InvalidEventDateError(f"The date {day.isoformat()} is in the future.")
    if citizen is not None and day < as_date(citizen["birth_date"]):
        raise InvalidEventDateError(
            f"The date {day.isoformat()} is before the citizen's birth "
            f"({iso_date(citizen['birth_date'])})."
        )


def require_alive(citizen: Mapping[str, Any]) -> None:
    if citizen["death_date"] is not None:
        raise CitizenDeceasedError(
            f"Citizen {citizen['personal_id']} is recorded as deceased on "
            f"{iso_date(citizen['death_date'])}."
        )


def check_parent(parent: Mapping[str, Any], role: str, birth: date) -> None:
    """A parent of the right sex, old enough, and alive at the birth."""
    expected = Sex.FEMALE if role == "mother" else Sex.MALE
    pid = parent["personal_id"]
    if parent["sex"] != expected.value:
        raise ParentNotEligibleError(f"The {role} ({pid}) is recorded as {parent['sex']}.")
    born = as_date(parent["birth_date"])
    age = age_on(born, birth)
    if age < MIN_PARENT_AGE:
        raise ParentNotEligibleError(
            f"The {role} ({pid}) would be {max(age, 0)} at the birth; "
            f"a parent must be at least {MIN_PARENT_AGE}."
        )
    if role == "mother" and age > MAX_MOTHER_AGE:
        raise ParentNotEligibleError(f"The mother ({pid}) would be {age} at the birth.")
    if parent["death_date"] is not None:
        died = as_date(parent["death_date"])
        grace = timedelta(days=POSTHUMOUS_DAYS if role == "father" else 0)
        if died + grace < birth:
            raise ParentNotEligibleError(
                f"The {role} ({pid}) died on {died.isoformat()}, before the birth."
            )


def check_marriage(a: Mapping[str, Any], b: Mapping[str, Any], day: date) -> None:
    """Sex, age and kinship rules of Art. 8; being alive and unmarried is checked apart."""
    if a["id"] == b["id"]:
        raise MarriageNotAllowedError("Both spouses are the same citizen.")
    if a["sex"] == b["sex"]:
        raise MarriageNotAllowedError(
            "The Law on Marriage and Family 2014 (Art. 8.2) does not recognise marriage "
            "between people of the same sex, so the registry cannot record it."
        )
    for person in (a, b):
        minimum = MARRIAGE_AGE[Sex(person["sex"])]
        age = age_on(as_date(person["birth_date"]), day)
        if age < minimum:
            raise MarriageNotAllowedError(
                f"Citizen {person['personal_id']} is {age} on {day.isoformat()}; "
                f"the marriage age is {minimum}."
            )
    if _kin(a, b):
        raise MarriageNotAllowedError(
            "The spouses are parent and child or siblings (Art. 5.2d forbids it)."
        )


def _kin(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    parents = ("father_id", "mother_id")
    if any(a[p] == b["id"] for p in parents) or any(b[p] == a["id"] for p in parents):
        return True
    shared = {a[p] for p in parents if a[p] is not None} & {
        b[p] for p in parents if b[p] is not None
    }
    return bool(shared)


def card_expiry(born: date, issued: date) -> date | None:
    """Expiry by the 14/25/40/60 rule: ``None`` for cards issued at 58 or later."""
    if issued < anniversary(born, 14):
        return anniversary(born, 14)
    for age in (25, 40, 60):
        if issued < anniversary(born, age - 2):
            return anniversary(born, age)
    return None
