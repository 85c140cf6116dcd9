"""Request bodies of the civil-registry operations, with examples using the demo personas."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.models.enums import Sex
from app.models.identity_history import PersonalIdCorrection

PersonalIdText = Field(pattern=r"^[0-9]{12}$", description="A 12-digit personal ID.")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class BirthRegistration(Body):
    """A newborn: the registry issues a personal ID and links parents and household."""

    full_name: str = Field(min_length=2, max_length=100)
    sex: Sex
    birth_date: date
    place_of_birth: str = Field(min_length=2, max_length=300)
    birth_registration_province: str = Field(
        pattern=r"^[0-9]{3}$", description="3-digit province code: digits 1-3 of the new ID."
    )
    mother_personal_id: str = PersonalIdText
    father_personal_id: str | None = Field(default=None, pattern=r"^[0-9]{12}$")
    ethnicity: str | None = Field(default=None, max_length=50, description="Default: mother's.")
    religion: str | None = Field(default=None, max_length=50)
    nationality: str = Field(default="Việt Nam", max_length=50)
    household_of: Literal["mother", "father"] = Field(
        default="mother", description="Whose household the child joins (and its address)."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "full_name": "Trần Minh Khang",
                "sex": "male",
                "birth_date": "2026-11-20",
                "place_of_birth": "Bệnh viện Phụ sản Hà Nội, Thành phố Hà Nội",
                "birth_registration_province": "001",
                "mother_personal_id": "036188897030",
                "father_personal_id": "001085895359",
            }
        }
    )


class DeathRegistration(Body):
    personal_id: str = PersonalIdText
    death_date: date
    place_of_death: str | None = Field(default=None, max_length=300)

    model_config = ConfigDict(
        json_schema_extra={"example": {"personal_id": "038050781215", "death_date": "2026-11-21"}}
    )


class ResidenceChange(Body):
    """A move: give the ward as a pre-2025 (legacy) code or a 2025 code, and the street part."""

    personal_id: str = PersonalIdText
    kind: Literal["permanent", "temporary", "current"]
    street: str = Field(
        min_length=2, max_length=150, description="The part below the ward: house, lane, street."
    )
    legacy_ward_code: str | None = Field(default=None, pattern=r"^[0-9]{5}$")
    ward_code: str | None = Field(default=None, pattern=r"^[0-9]{5}$")
    moved_on: date

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "personal_id": "001094270692",
                "kind": "permanent",
                "street": "Số 12 đường Trần Hưng Đạo",
                "legacy_ward_code": "00004",
                "moved_on": "2026-11-15",
            }
        }
    )


class Marriage(Body):
    spouses: list[str] = Field(min_length=2, max_length=2, description="The two personal IDs.")
    married_on: date

    model_config = ConfigDict(
        json_schema_extra={
            "example": {"spouses": ["031090066983", "040199085409"], "married_on": "2026-11-20"}
        }
    )


class Divorce(Body):
    spouses: list[str] = Field(min_length=2, max_length=2, description="The two personal IDs.")
    divorced_on: date

    model_config = ConfigDict(
        json_schema_extra={
            "example": {"spouses": ["017058896122", "017161992688"], "divorced_on": "2026-11-20"}
        }
    )


class NameChange(Body):
    personal_id: str = PersonalIdText
    full_name: str = Field(min_length=2, max_length=100)
    changed_on: date
    reason: str | None = Field(default=None, max_length=200)

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "personal_id": "048301366087",
                "full_name": "Ngô Thị Lan",
                "changed_on": "2026-11-20",
                "reason": "Civil status change decision 12/QĐ-UBND",
            }
        }
    )


class CardReissue(Body):
    personal_id: str = PersonalIdText
    reason: Literal["expired", "age_milestone", "lost", "damaged", "details_changed"]
    issued_on: date
    issued_by: str = Field(
        default="Bộ Công an",
        max_length=200,
        description="Issuing authority (identity cards under the 2023 law: the Ministry).",
    )

    model_config = ConfigDict(
        json_schema_extra={
            "example": {"personal_id": "001094270692", "reason": "lost", "issued_on": "2026-11-20"}
        }
    )


class IdCorrection(Body):
    """A number re-issued because a fact encoded in it was recorded wrongly."""

    personal_id: str = PersonalIdText
    reason: PersonalIdCorrection
    birth_date: date | None = Field(default=None, description="For wrong_birth_year.")
    sex: Sex | None = Field(default=None, description="For wrong_sex.")
    birth_registration_province: str | None = Field(
        default=None, pattern=r"^[0-9]{3}$", description="For wrong_registration_place."
    )
    corrected_on: date

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "personal_id": "075080454370",
                "reason": "wrong_birth_year",
                "birth_date": "1981-03-03",
                "corrected_on": "2026-11-20",
            }
        }
    )


EVENT_EXAMPLE: dict[str, Any] = {
    "id": 1842,
    "cursor": "1842",
    "type": "death",
    "personal_id": "001085895359",
    "occurred_on": "2026-11-21",
    "recorded_at": "2026-11-22T09:15:02.114+00:00",
    "changes": {"vital_status": "deceased", "death_date": "2026-11-21"},
    "previous": {"vital_status": "alive"},
}


class EventDocument(BaseModel):
    """One life event, with only the changed fields the reader's purpose may see."""

    id: int = Field(description="Sequence number; increases with every event.")
    cursor: str = Field(description="Pass as `after` to read the events after this one.")
    type: str
    personal_id: str = Field(description="The citizen's personal ID after the change.")
    occurred_on: date
    recorded_at: str
    changes: dict[str, Any] = Field(description="New values, by citizen-document field.")
    previous: dict[str, Any] = Field(description="Replaced values, by citizen-document field.")

    model_config = ConfigDict(json_schema_extra={"example": EVENT_EXAMPLE})


class CivilResult(BaseModel):
    """What an operation recorded: one event per citizen it changed."""

    operation_id: str
    events: list[EventDocument]

    model_config = ConfigDict(
        json_schema_extra={
            "example": {"operation_id": "op_5b0e2f7c1a9d4e3b8c6f", "events": [EVENT_EXAMPLE]}
        }
    )
