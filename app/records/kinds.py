"""The six kinds of sector record: their citizen field, labels, number formats and data.

Each kind's ``data`` is checked by its own pydantic model (extra keys refused), and
its ``number`` by a pattern that follows the real document's format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.models.enums import CitizenField as F
from app.models.records import RecordKind as K

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

# Classes of the 2024 Road Traffic Order and Safety Law (in force 2025): A1 and A
# motorcycles, B1 three-wheelers, B cars, C1/C trucks, D1/D2/D buses, E trailers.
LICENCE_CLASSES = (
    "A1", "A", "B1", "B", "C1", "C", "D1", "D2", "D", "BE", "C1E", "CE", "D1E", "D2E", "DE",
)  # fmt: skip
LicenceClass = Literal[
    "A1", "A", "B1", "B", "C1", "C", "D1", "D2", "D", "BE", "C1E", "CE", "D1E", "D2E", "DE"
]
VEHICLE_TYPES = ("motorbike", "car", "truck", "bus", "trailer")

# Cars: "30A-123.45" (or the old four-digit "30A-1234"); motorbikes: "29-B1 123.45".
CAR_PLATE = re.compile(r"[1-9][0-9][A-Z]{1,2}-(?:[0-9]{3}\.[0-9]{2}|[0-9]{4})")
MOTORBIKE_PLATE = re.compile(r"[1-9][0-9]-[A-Z][A-Z0-9] (?:[0-9]{3}\.[0-9]{2}|[0-9]{4})")


class KindData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HealthInsuranceData(KindData):
    registered_facility: Text = Field(
        description="Where the holder is registered for primary care (nơi đăng ký KCB ban đầu)."
    )
    continuous_five_years_from: date | None = Field(
        default=None, description="From when five continuous years of cover count."
    )


class SocialInsuranceData(KindData):
    participation: Literal["compulsory", "voluntary"]
    employer: Text | None = Field(default=None, description="Current employer (compulsory).")
    contribution_months: int = Field(ge=0, le=720, description="Months contributed so far.")


class DrivingLicenceData(KindData):
    classes: list[LicenceClass] = Field(min_length=1, max_length=len(LICENCE_CLASSES))
    issued_by: Text

    @field_validator("classes")
    @classmethod
    def _distinct(cls, classes: list[str]) -> list[str]:
        if len(set(classes)) != len(classes):
            raise ValueError("each licence class at most once")
        return sorted(classes, key=LICENCE_CLASSES.index)


class VehicleRegistrationData(KindData):
    plate: str = Field(max_length=16, description="`30A-123.45` (car) or `29-B1 123.45`.")
    vehicle_type: Literal["motorbike", "car", "truck", "bus", "trailer"]
    make: Text
    model: Text | None = None
    colour: Text | None = None
    year: int | None = Field(default=None, ge=1950, le=2100)

    @field_validator("plate")
    @classmethod
    def _plate(cls, plate: str) -> str:
        plate = plate.strip().upper()
        if not (CAR_PLATE.fullmatch(plate) or MOTORBIKE_PLATE.fullmatch(plate)):
            raise ValueError(
                "a plate is like 30A-123.45 (car, truck, bus) or 29-B1 123.45 (motorbike)"
            )
        return plate


class TaxRegistrationData(KindData):
    tax_office: Text = Field(description="The tax office that manages the taxpayer.")


class VaccinationData(KindData):
    vaccine: Text
    disease: Text = Field(description="What it protects against, e.g. COVID-19, measles.")
    dose: int = Field(ge=1, le=10)
    facility: Text = Field(description="Where the dose was given.")
    lot: Annotated[str, StringConstraints(max_length=40)] | None = None


@dataclass(frozen=True, slots=True)
class KindSpec:
    kind: K
    field: F
    multi: bool  # several records per citizen, keyed by number
    title: str  # Vietnamese / English, as the citizen's wallet shows it
    number_pattern: re.Pattern[str]
    number_format: str
    data: type[KindData]
    number_example: str


SPECS: dict[K, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            K.HEALTH_INSURANCE,
            F.HEALTH_INSURANCE,
            False,
            "Thẻ bảo hiểm y tế / Health-insurance card",
            re.compile(r"[A-Z]{2}[1-5][0-9]{12}"),
            "15 characters: beneficiary group (2 letters), benefit level (1-5), province (2 "
            "digits), social-insurance number (10 digits)",
            HealthInsuranceData,
            "DN4797912345678",
        ),
        KindSpec(
            K.SOCIAL_INSURANCE,
            F.SOCIAL_INSURANCE,
            False,
            "Sổ bảo hiểm xã hội / Social-insurance book",
            re.compile(r"[0-9]{10}"),
            "10 digits (mã số BHXH)",
            SocialInsuranceData,
            "7912345678",
        ),
        KindSpec(
            K.DRIVING_LICENCE,
            F.DRIVING_LICENCE,
            False,
            "Giấy phép lái xe / Driving licence",
            re.compile(r"[0-9]{12}"),
            "12 digits",
            DrivingLicenceData,
            "790123456789",
        ),
        KindSpec(
            K.VEHICLE_REGISTRATION,
            F.VEHICLE_REGISTRATIONS,
            True,
            "Giấy chứng nhận đăng ký xe / Vehicle registration",
            re.compile(r"[0-9]{6,9}"),
            "6 to 9 digits (the registration certificate's number)",
            VehicleRegistrationData,
            "0123456",
        ),
        KindSpec(
            K.TAX_REGISTRATION,
            F.TAX_REGISTRATION,
            False,
            "Đăng ký thuế / Tax registration",
            re.compile(r"[0-9]{10}(?:-[0-9]{3})?|[0-9]{12}"),
            "a 10-digit tax code (with a 3-digit branch suffix), or the 12-digit personal ID",
            TaxRegistrationData,
            "8012345678",
        ),
        KindSpec(
            K.VACCINATION,
            F.VACCINATIONS,
            True,
            "Chứng nhận tiêm chủng / Vaccination certificate",
            re.compile(r"[A-Z0-9][A-Z0-9-]{5,39}"),
            "6 to 40 capital letters, digits and hyphens (the dose record's number)",
            VaccinationData,
            "VX-079-2021-0012345",
        ),
    )
}
KIND_OF_FIELD: dict[F, K] = {spec.field: kind for kind, spec in SPECS.items()}
SECTOR_FIELDS = frozenset(KIND_OF_FIELD)


def spec(kind: K) -> KindSpec:
    return SPECS[kind]


def kinds_for(fields: tuple[F, ...] | frozenset[F]) -> list[K]:
    """The record kinds whose sector field is among ``fields``, in declaration order."""
    return [kind for kind, s in SPECS.items() if s.field in fields]


def record_key(kind: K, number: str) -> str:
    """Single-valued kinds have one current record (key ''); the others one per number."""
    return number if SPECS[kind].multi else ""
