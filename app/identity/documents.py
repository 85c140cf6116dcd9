"""Render a citizen row as the API's citizen document, limited to a policy's fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from app.db import RawSession
from app.identity import repository
from app.models.enums import BirthDatePrecision
from app.models.enums import CitizenField as F
from app.records import render as sector
from app.records.kinds import SECTOR_FIELDS

Document = dict[str, Any]
RELATIVE_FIELDS = {
    F.FATHER: "father_id",
    F.MOTHER: "mother_id",
    F.SPOUSE: "spouse_id",
    F.GUARDIAN: "guardian_id",
}
ADDRESS_FIELDS = {
    F.PERMANENT_ADDRESS: "permanent",
    F.TEMPORARY_ADDRESS: "temporary",
    F.CURRENT_ADDRESS: "current",
}
PLAIN_FIELDS = {
    F.PERSONAL_ID,
    F.FULL_NAME,
    F.OTHER_NAMES,
    F.SEX,
    F.PLACE_OF_BIRTH,
    F.HOMETOWN,
    F.ETHNICITY,
    F.RELIGION,
    F.NATIONALITY,
    F.BLOOD_TYPE,
    F.LEGACY_ID,
    F.RESIDENCE_FILE_NUMBER,
    F.MARITAL_STATUS,
    F.PHONE,
    F.EMAIL,
    F.SOCIAL_INSURANCE_NUMBER,
    F.HEALTH_INSURANCE_CARD,
    F.TAX_CODE,
}


def iso_date(value: object) -> str | None:
    """Dates arrive as ``date`` (PostgreSQL) or ISO text (SQLite without type hints)."""
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def birth_date_text(value: object, precision: object) -> str | None:
    text = iso_date(value)
    if text is not None and precision == BirthDatePrecision.YEAR.value:
        return text[:4]
    return text


def vital_status(row: Mapping[str, Any]) -> str:
    if row["death_date"] is not None:
        return "deceased"
    if row["disappearance_date"] is not None:
        return "missing"
    return "alive"


def render(
    session: RawSession,
    row: Mapping[str, Any],
    fields: tuple[F, ...],
    province_names: Mapping[str, str],
    records: sector.Records | None = None,
) -> Document:
    """The document with exactly ``fields``; related rows are read only when allowed.

    ``records``: sector records already read for this row's citizen (``render_many``
    reads them for a whole page at once); else they are read here when asked for.
    """
    document: Document = {}
    relatives = _relatives(session, row, fields)
    wanted_records = sector.sector_fields(fields)
    if wanted_records and records is None:
        records = sector.prefetch(session, [row["id"]], wanted_records)
    for field in fields:
        if field in PLAIN_FIELDS:
            document[field.value] = row[field.value]
        elif field is F.BIRTH_DATE:
            document["birth_date"] = birth_date_text(row["birth_date"], row["birth_date_precision"])
        elif field is F.BIRTH_REGISTRATION_PROVINCE:
            code = row["birth_registration_province_code"]
            document[field.value] = {"code": code, "name": province_names.get(code)}
        elif field in ADDRESS_FIELDS:
            document[field.value] = _address(row, ADDRESS_FIELDS[field])
        elif field in RELATIVE_FIELDS:
            document[field.value] = relatives.get(row[RELATIVE_FIELDS[field]])
        elif field is F.CHILDREN:
            document["children"] = [
                _person(child) for child in repository.children_of(session, row["id"])
            ]
        elif field is F.CARDS:
            document["cards"] = [_card(card) for card in repository.cards_of(session, row["id"])]
        elif field is F.HOUSEHOLD:
            document["household"] = _household(session, row)
        elif field is F.VITAL_STATUS:
            document["vital_status"] = vital_status(row)
        elif field is F.DEATH_DATE:
            document["death_date"] = iso_date(row["death_date"])
        elif field is F.TEMPORARILY_ABSENT:
            document[field.value] = bool(row["temporarily_absent"])
        elif field is F.VNEID_LEVEL:
            document[field.value] = int(row["vneid_level"])
        elif records is not None and field in SECTOR_FIELDS:
            document[field.value] = sector.render_field(field, records.get(row["id"], {}))
    return document


def render_many(
    session: RawSession,
    rows: Sequence[Mapping[str, Any]],
    fields: tuple[F, ...],
    province_names: Mapping[str, str],
) -> list[Document]:
    """``render`` for many rows, reading their sector records in one batch."""
    wanted_records = sector.sector_fields(fields)
    records = (
        sector.prefetch(session, [row["id"] for row in rows], wanted_records)
        if wanted_records
        else None
    )
    return [render(session, row, fields, province_names, records) for row in rows]


def _relatives(
    session: RawSession, row: Mapping[str, Any], fields: tuple[F, ...]
) -> dict[int, dict[str, Any]]:
    ids = [row[column] for field, column in RELATIVE_FIELDS.items() if field in fields]
    wanted = [i for i in ids if i is not None]
    return {person["id"]: _person(person) for person in repository.people_by_ids(session, wanted)}


def _person(person: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "personal_id": person["personal_id"],
        "full_name": person["full_name"],
        "nationality": person["nationality"],
    }


def _address(row: Mapping[str, Any], kind: str) -> dict[str, Any] | None:
    if row[f"{kind}_address"] is None:
        return None
    return {
        "address": row[f"{kind}_address"],
        "address_2025": row[f"{kind}_address_2025"],
        "legacy_ward_code": row[f"{kind}_legacy_ward_code"],
        "ward_code": row[f"{kind}_ward_code"],
    }


def _card(card: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "number": card["number"],
        "kind": card["kind"],
        "issued_on": iso_date(card["issued_on"]),
        "issued_by": card["issued_by"],
        "expires_on": iso_date(card["expires_on"]),
        "has_chip": bool(card["has_chip"]),
    }


def _household(session: RawSession, row: Mapping[str, Any]) -> dict[str, Any] | None:
    if row["household_id"] is None:
        return None
    return {
        "household_number": repository.household_number(session, row["household_id"]),
        "relationship_to_head": row["relationship_to_head"],
    }
