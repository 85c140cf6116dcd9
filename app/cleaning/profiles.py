"""Sector profiles: which columns an organisation holds, what is checked, what may be corrected.

A profile is a starting point: the caller's column mapping overrides the
default column names, and the purpose's policy has the last word. A field is
checked only if the purpose may check it; a correction (the registry's value)
is returned only if the profile lists it and the purpose may also read it
(operation ``lookup``) — a telecom learns that a name is wrong, never the name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from app.auth.principal import PurposePolicy
from app.models.enums import CitizenField as F
from app.models.enums import Operation
from app.problems import ProblemError


class Sector(StrEnum):
    TELECOM = "telecom"
    BANK = "bank"
    SOCIAL_INSURANCE = "social_insurance"
    HOSPITAL = "hospital"
    CUSTOM = "custom"


# Fields a cleaning job can compare (the verification claims) and correct.
CHECKABLE = frozenset(
    {
        F.FULL_NAME,
        F.BIRTH_DATE,
        F.SEX,
        F.PHONE,
        F.EMAIL,
        F.NATIONALITY,
        F.ETHNICITY,
        F.PLACE_OF_BIRTH,
        F.HOMETOWN,
        F.PERMANENT_ADDRESS,
        F.CURRENT_ADDRESS,
    }
)
CORRECTABLE = frozenset(
    {
        F.PERSONAL_ID,
        F.FULL_NAME,
        F.BIRTH_DATE,
        F.SEX,
        F.PHONE,
        F.EMAIL,
        F.PERMANENT_ADDRESS,
        F.CURRENT_ADDRESS,
        F.HEALTH_INSURANCE_CARD,
        F.SOCIAL_INSURANCE_NUMBER,
    }
)


@dataclass(frozen=True, slots=True)
class Profile:
    sector: Sector
    columns: Mapping[F, str]  # field -> the column the sector's files usually name it
    correctable: tuple[F, ...]


PROFILES: dict[Sector, Profile] = {
    Sector.TELECOM: Profile(
        Sector.TELECOM,
        {
            F.PERSONAL_ID: "id_number",
            F.FULL_NAME: "full_name",
            F.BIRTH_DATE: "birth_date",
            F.PHONE: "msisdn",
        },
        (),
    ),
    Sector.BANK: Profile(
        Sector.BANK,
        {
            F.PERSONAL_ID: "id_number",
            F.FULL_NAME: "full_name",
            F.BIRTH_DATE: "birth_date",
            F.SEX: "sex",
            F.PHONE: "phone",
        },
        (F.PERSONAL_ID, F.FULL_NAME, F.BIRTH_DATE, F.SEX, F.PHONE),
    ),
    Sector.SOCIAL_INSURANCE: Profile(
        Sector.SOCIAL_INSURANCE,
        {
            F.PERSONAL_ID: "id_number",
            F.FULL_NAME: "full_name",
            F.BIRTH_DATE: "birth_date",
            F.SEX: "sex",
            F.PERMANENT_ADDRESS: "address",
        },
        (F.PERSONAL_ID, F.FULL_NAME, F.BIRTH_DATE, F.SEX, F.PERMANENT_ADDRESS),
    ),
    Sector.HOSPITAL: Profile(
        Sector.HOSPITAL,
        {
            F.PERSONAL_ID: "id_number",
            F.FULL_NAME: "full_name",
            F.BIRTH_DATE: "birth_date",
            F.SEX: "sex",
        },
        (F.PERSONAL_ID, F.FULL_NAME, F.BIRTH_DATE, F.SEX, F.HEALTH_INSURANCE_CARD),
    ),
    Sector.CUSTOM: Profile(Sector.CUSTOM, {}, tuple(sorted(CORRECTABLE))),
}


class InvalidMappingError(ProblemError):
    status_code = 400
    code = "INVALID_MAPPING"
    title = "Invalid column mapping"


@dataclass(frozen=True, slots=True)
class JobPlan:
    """What one job reads, checks and may correct, after profile, mapping and policy."""

    mapping: dict[str, str]  # field -> column, personal_id first
    checked: tuple[F, ...]
    correctable: tuple[F, ...]


def parse_mapping(items: list[str]) -> dict[F, str]:
    """``["full_name:ho_ten", "personal_id:so_cccd"]`` → fields to columns."""
    mapping: dict[F, str] = {}
    for item in items:
        field, sep, column = item.partition(":")
        if not sep or not column.strip():
            raise InvalidMappingError(
                f"Mapping {item!r} is not FIELD:COLUMN, e.g. map=personal_id:so_cccd."
            )
        try:
            mapping[F(field.strip())] = column.strip()
        except ValueError:
            raise InvalidMappingError(
                f"{field.strip()!r} is not a registry field; see GET /v1/agencies/me."
            ) from None
    return mapping


def plan_job(sector: Sector, overrides: Mapping[F, str], policy: PurposePolicy) -> JobPlan:
    """The profile, with the caller's column names, cut down to what the purpose allows."""
    profile = PROFILES[sector]
    columns = {**profile.columns, **overrides}
    if F.PERSONAL_ID not in columns:
        raise InvalidMappingError(
            "Name the column holding the personal ID: map=personal_id:<your column>."
        )
    unknown = [f.value for f in columns if f is not F.PERSONAL_ID and f not in CHECKABLE]
    if unknown:
        raise InvalidMappingError(
            f"These fields cannot be checked by a cleaning job: {', '.join(unknown)}.",
            extensions={"fields": unknown},
        )
    allowed = set(policy.fields)
    refused = [f.value for f in columns if f not in allowed]
    if refused:
        raise InvalidMappingError(
            f"Purpose {policy.code!r} may not check: {', '.join(refused)}.",
            extensions={"fields": refused},
        )
    checked = tuple(f for f in F if f in columns and f is not F.PERSONAL_ID)
    readable = policy.allows(Operation.LOOKUP)
    correctable = tuple(
        f for f in profile.correctable if readable and f in allowed and f in CORRECTABLE
    )
    mapping = {F.PERSONAL_ID.value: columns[F.PERSONAL_ID]}
    mapping.update({f.value: columns[f] for f in checked})
    return JobPlan(mapping, checked, correctable)
