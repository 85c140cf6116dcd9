"""How each policy field of the citizen document is read from the database."""

from __future__ import annotations

from functools import lru_cache

from app.models.enums import CitizenField as F

# Columns of the citizen table each field needs; fields with extra queries
# (cards, relatives, household) need the columns that locate those rows.
FIELD_COLUMNS: dict[F, tuple[str, ...]] = {
    F.PERSONAL_ID: ("personal_id",),
    F.FULL_NAME: ("full_name",),
    F.OTHER_NAMES: ("other_names",),
    F.BIRTH_DATE: ("birth_date", "birth_date_precision"),
    F.SEX: ("sex",),
    F.PLACE_OF_BIRTH: ("place_of_birth",),
    F.BIRTH_REGISTRATION_PROVINCE: ("birth_registration_province_code",),
    F.HOMETOWN: ("hometown",),
    F.ETHNICITY: ("ethnicity",),
    F.RELIGION: ("religion",),
    F.NATIONALITY: ("nationality",),
    F.BLOOD_TYPE: ("blood_type",),
    F.LEGACY_ID: ("legacy_id",),
    F.CARDS: (),
    F.FATHER: ("father_id",),
    F.MOTHER: ("mother_id",),
    F.SPOUSE: ("spouse_id",),
    F.CHILDREN: (),
    F.GUARDIAN: ("guardian_id",),
    F.PERMANENT_ADDRESS: (
        "permanent_address",
        "permanent_address_2025",
        "permanent_legacy_ward_code",
        "permanent_ward_code",
    ),
    F.TEMPORARY_ADDRESS: (
        "temporary_address",
        "temporary_address_2025",
        "temporary_legacy_ward_code",
        "temporary_ward_code",
    ),
    F.CURRENT_ADDRESS: (
        "current_address",
        "current_address_2025",
        "current_legacy_ward_code",
        "current_ward_code",
    ),
    F.TEMPORARILY_ABSENT: ("temporarily_absent",),
    F.RESIDENCE_FILE_NUMBER: ("residence_file_number",),
    F.MARITAL_STATUS: ("marital_status",),
    F.HOUSEHOLD: ("household_id", "relationship_to_head"),
    F.VITAL_STATUS: ("death_date", "disappearance_date"),
    F.DEATH_DATE: ("death_date",),
    F.PHONE: ("phone",),
    F.EMAIL: ("email",),
    F.SOCIAL_INSURANCE_NUMBER: ("social_insurance_number",),
    F.HEALTH_INSURANCE_CARD: ("health_insurance_card",),
    F.TAX_CODE: ("tax_code",),
    F.VNEID_LEVEL: ("vneid_level",),
    # Sector records (app/records) are read by citizen id, which every lookup reads.
    F.HEALTH_INSURANCE: (),
    F.SOCIAL_INSURANCE: (),
    F.DRIVING_LICENCE: (),
    F.VEHICLE_REGISTRATIONS: (),
    F.TAX_REGISTRATION: (),
    F.VACCINATIONS: (),
}

# Every lookup also reads these: the row id (for related rows) and the facts
# verification always needs (whether the citizen is alive).
BASE_COLUMNS = ("id", "personal_id", "death_date", "disappearance_date")


@lru_cache(maxsize=512)
def columns_for(fields: tuple[F, ...]) -> tuple[str, ...]:
    """The citizen columns a set of fields needs, without duplicates, in a stable order."""
    columns = dict.fromkeys(BASE_COLUMNS)
    for field in fields:
        columns.update(dict.fromkeys(FIELD_COLUMNS[field]))
    return tuple(columns)
