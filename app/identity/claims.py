"""Which fields a verification may claim, and how each is matched against a citizen row."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from app.identity.documents import birth_date_text
from app.identity.matching import (
    FieldMatch,
    Reason,
    match_birth_date,
    match_name,
    match_phone,
    match_sex,
    match_text,
    one_digit_off,
)
from app.identity.matching.verdicts import FIXED, NOT_PROVIDED
from app.models.enums import BirthDatePrecision, Sex
from app.models.enums import CitizenField as F

# Everything verification reads about a citizen, whatever is claimed.
VERIFY_COLUMNS = (
    "id",
    "personal_id",
    "legacy_id",
    "full_name",
    "birth_date",
    "birth_date_precision",
    "sex",
    "phone",
    "email",
    "nationality",
    "ethnicity",
    "place_of_birth",
    "hometown",
    "permanent_address",
    "permanent_address_2025",
    "current_address",
    "current_address_2025",
    "death_date",
    "disappearance_date",
)


def as_date(value: object) -> date:
    """SQLite returns dates of untyped selects as ISO text; PostgreSQL as ``date``."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _legacy_id(claimed: str | None, row: Mapping[str, Any]) -> FieldMatch:
    if claimed is None or not claimed.strip():
        return NOT_PROVIDED
    digits = "".join(claimed.split())
    registered = row["legacy_id"]
    if registered is None or not digits.isdigit():
        return FIXED[Reason.DIFFERENT]
    if digits == registered:
        return FIXED[Reason.EXACT]
    return FIXED[Reason.WRONG_DIGIT if one_digit_off(digits, registered) else Reason.DIFFERENT]


def _address(kind: str) -> Callable[[str | None, Mapping[str, Any]], FieldMatch]:
    def match(claimed: str | None, row: Mapping[str, Any]) -> FieldMatch:
        # Either the legacy 3-level or the 2025 2-level form of the address counts.
        legacy = match_text(claimed, row[f"{kind}_address"])
        modern = match_text(claimed, row[f"{kind}_address_2025"])
        return max(legacy, modern, key=lambda result: result.score)

    return match


def _birth_date(claimed: str | None, row: Mapping[str, Any]) -> FieldMatch:
    registered = row["birth_date"]
    if claimed == registered and row["birth_date_precision"] == "full":
        # SQLite's ISO text, claimed as it is: the hot path of bulk clean-ups.
        return FIXED[Reason.EXACT]
    return match_birth_date(
        claimed, as_date(registered), BirthDatePrecision(row["birth_date_precision"])
    )


MATCHERS: dict[F, Callable[[str | None, Mapping[str, Any]], FieldMatch]] = {
    F.FULL_NAME: lambda claimed, row: match_name(claimed, row["full_name"]),
    F.BIRTH_DATE: _birth_date,
    F.SEX: lambda claimed, row: match_sex(claimed, Sex(row["sex"])),
    F.PHONE: lambda claimed, row: match_phone(claimed, row["phone"]),
    F.EMAIL: lambda claimed, row: match_text(claimed, row["email"]),
    F.LEGACY_ID: _legacy_id,
    F.NATIONALITY: lambda claimed, row: match_text(claimed, row["nationality"]),
    F.ETHNICITY: lambda claimed, row: match_text(claimed, row["ethnicity"]),
    F.PLACE_OF_BIRTH: lambda claimed, row: match_text(claimed, row["place_of_birth"]),
    F.HOMETOWN: lambda claimed, row: match_text(claimed, row["hometown"]),
    F.PERMANENT_ADDRESS: _address("permanent"),
    F.CURRENT_ADDRESS: _address("current"),
}
CLAIMABLE = tuple(MATCHERS)

# The citizen columns each claim is compared with; verification reads only these
# (plus ``SUBJECT_COLUMNS``), not every column it could ever need.
CLAIM_COLUMNS: dict[F, tuple[str, ...]] = {
    F.FULL_NAME: ("full_name",),
    F.BIRTH_DATE: ("birth_date", "birth_date_precision"),
    F.SEX: ("sex",),
    F.PHONE: ("phone",),
    F.EMAIL: ("email",),
    F.LEGACY_ID: ("legacy_id",),
    F.NATIONALITY: ("nationality",),
    F.ETHNICITY: ("ethnicity",),
    F.PLACE_OF_BIRTH: ("place_of_birth",),
    F.HOMETOWN: ("hometown",),
    F.PERMANENT_ADDRESS: ("permanent_address", "permanent_address_2025"),
    F.CURRENT_ADDRESS: ("current_address", "current_address_2025"),
}
SUBJECT_COLUMNS = ("id", "personal_id", "legacy_id", "death_date", "disappearance_date")


@lru_cache(maxsize=256)
def verify_columns(claimed: frozenset[F]) -> tuple[str, ...]:
    """The columns verifying ``claimed`` fields reads, in catalogue order."""
    wanted = set(SUBJECT_COLUMNS).union(*(CLAIM_COLUMNS[f] for f in claimed))
    return tuple(column for column in VERIFY_COLUMNS if column in wanted)


def registered_value(field: F, row: Mapping[str, Any]) -> Any:
    """The registry's value of a claimed field, for purposes that may read it."""
    if field is F.BIRTH_DATE:
        return birth_date_text(row["birth_date"], row["birth_date_precision"])
    if field in (F.PERMANENT_ADDRESS, F.CURRENT_ADDRESS):
        return row[field.value.replace("_address", "") + "_address"]
    return row[field.value]
