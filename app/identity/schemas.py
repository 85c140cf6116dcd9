"""Documented shapes of identity responses.

Lookups build their JSON directly from rows (no model validation on the hot
path); these models describe that JSON in the OpenAPI document.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.records.schemas import RecordView


class Person(BaseModel):
    personal_id: str
    full_name: str
    nationality: str


class Address(BaseModel):
    address: str = Field(description="Legacy 3-level address (ward, district, province).")
    address_2025: str | None = Field(description="The same place in the 2025 2-level units.")
    legacy_ward_code: str | None
    ward_code: str | None = Field(description="2025 ward/commune code.")


class Card(BaseModel):
    number: str
    kind: Literal["cmnd", "cccd_barcode", "cccd_chip", "cccd_2024"]
    issued_on: str
    issued_by: str
    expires_on: str | None = Field(description="None for cards issued at 60 or later.")
    has_chip: bool


class Province(BaseModel):
    code: str
    name: str | None


class Household(BaseModel):
    household_number: str | None
    relationship_to_head: str | None


class CitizenDocument(BaseModel):
    """A citizen as one purpose may see it: **only the purpose's fields are present**."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "personal_id": "001084000999",
                "full_name": "Nguyễn Văn An",
                "birth_date": "1984-03-09",
                "sex": "male",
                "nationality": "Việt Nam",
                "permanent_address": {
                    "address": "Số 12 ngõ 3, Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội",
                    "address_2025": "Số 12 ngõ 3, Phường Ba Đình, Thành phố Hà Nội",
                    "legacy_ward_code": "00001",
                    "ward_code": "00004",
                },
                "vital_status": "alive",
            }
        }
    )

    personal_id: str | None = None
    full_name: str | None = None
    other_names: str | None = None
    birth_date: str | None = Field(
        default=None, description="`YYYY-MM-DD`, or `YYYY` when only the year is recorded."
    )
    sex: Literal["male", "female"] | None = None
    place_of_birth: str | None = None
    birth_registration_province: Province | None = None
    hometown: str | None = None
    ethnicity: str | None = None
    religion: str | None = None
    nationality: str | None = None
    blood_type: str | None = None
    legacy_id: str | None = Field(default=None, description="Old 9-digit ID card (CMND).")
    cards: list[Card] | None = None
    father: Person | None = None
    mother: Person | None = None
    spouse: Person | None = None
    children: list[Person] | None = None
    guardian: Person | None = None
    permanent_address: Address | None = None
    temporary_address: Address | None = None
    current_address: Address | None = None
    temporarily_absent: bool | None = None
    residence_file_number: str | None = None
    marital_status: Literal["single", "married", "divorced", "widowed"] | None = None
    household: Household | None = None
    vital_status: Literal["alive", "deceased", "missing"] | None = None
    death_date: str | None = None
    phone: str | None = None
    email: str | None = None
    social_insurance_number: str | None = None
    health_insurance_card: str | None = None
    tax_code: str | None = None
    vneid_level: Literal[0, 1, 2] | None = None
    # Sector records pushed by the agencies that issue them (docs/records.md).
    health_insurance: RecordView | None = None
    social_insurance: RecordView | None = None
    driving_licence: RecordView | None = None
    vehicle_registrations: list[RecordView] | None = None
    tax_registration: RecordView | None = None
    vaccinations: list[RecordView] | None = None


class LegacyIdMatches(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "legacy_id": "271450123",
                "ambiguous": True,
                "citizens": [{"personal_id": "077075001234"}, {"personal_id": "075076004321"}],
            }
        }
    )

    legacy_id: str
    ambiguous: bool = Field(
        description="True when the number was issued to more than one person (a real case)."
    )
    citizens: list[CitizenDocument]
