"""Closed vocabularies of the registry, stored as their string values."""

from enum import IntEnum, StrEnum


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class BirthDatePrecision(StrEnum):
    """Old records sometimes hold only the birth year; the date is then 1 January."""

    FULL = "full"
    YEAR = "year"


class MaritalStatus(StrEnum):
    SINGLE = "single"
    MARRIED = "married"
    DIVORCED = "divorced"
    WIDOWED = "widowed"


class CardKind(StrEnum):
    """Identity documents issued over the years, oldest first."""

    CMND = "cmnd"  # 9-digit people's ID card, invalid since the end of 2024
    CCCD_BARCODE = "cccd_barcode"  # 12-digit citizen ID card, 2016-2021
    CCCD_CHIP = "cccd_chip"  # 12-digit chip card, 2021-2024
    CCCD_2024 = "cccd_2024"  # identity card under the 2023 Identity Law


class VneidLevel(IntEnum):
    NONE = 0
    LEVEL_1 = 1
    LEVEL_2 = 2


class Sector(StrEnum):
    MINISTRY = "ministry"
    SOCIAL_INSURANCE = "social_insurance"
    CIVIL_REGISTRY = "civil_registry"
    TELECOM = "telecom"
    BANK = "bank"
    HOSPITAL = "hospital"
    LOCAL_GOVERNMENT = "local_government"


class Operation(StrEnum):
    """What a purpose may do with the registry."""

    LOOKUP = "lookup"
    VERIFY = "verify"
    BATCH_VERIFY = "batch_verify"
    CLEAN = "clean"
    SUBSCRIBE = "subscribe"  # follow life events: change feed and webhooks
    REGISTER = "register"  # record life events (civil registry agencies)
    ENRICH = "enrich"  # push sector records linked to a personal ID (app/records)
    EXTRACT = "extract"  # a purpose-bound cohort extract, audited per citizen (app/extracts)
    STATISTICS = "statistics"  # aggregate counts under disclosure control (app/statistics)


class CitizenField(StrEnum):
    """Fields a purpose may receive or check; the names of the API's citizen document."""

    PERSONAL_ID = "personal_id"
    FULL_NAME = "full_name"
    OTHER_NAMES = "other_names"
    BIRTH_DATE = "birth_date"
    SEX = "sex"
    PLACE_OF_BIRTH = "place_of_birth"
    BIRTH_REGISTRATION_PROVINCE = "birth_registration_province"
    HOMETOWN = "hometown"
    ETHNICITY = "ethnicity"
    RELIGION = "religion"
    NATIONALITY = "nationality"
    BLOOD_TYPE = "blood_type"
    LEGACY_ID = "legacy_id"
    CARDS = "cards"
    FATHER = "father"
    MOTHER = "mother"
    SPOUSE = "spouse"
    CHILDREN = "children"
    GUARDIAN = "guardian"
    PERMANENT_ADDRESS = "permanent_address"
    TEMPORARY_ADDRESS = "temporary_address"
    CURRENT_ADDRESS = "current_address"
    TEMPORARILY_ABSENT = "temporarily_absent"
    RESIDENCE_FILE_NUMBER = "residence_file_number"
    MARITAL_STATUS = "marital_status"
    HOUSEHOLD = "household"
    VITAL_STATUS = "vital_status"
    DEATH_DATE = "death_date"
    PHONE = "phone"
    EMAIL = "email"
    SOCIAL_INSURANCE_NUMBER = "social_insurance_number"
    HEALTH_INSURANCE_CARD = "health_insurance_card"
    TAX_CODE = "tax_code"
    VNEID_LEVEL = "vneid_level"
    # Sector records (app/records), rendered as the record or the list of records.
    HEALTH_INSURANCE = "health_insurance"
    SOCIAL_INSURANCE = "social_insurance"
    DRIVING_LICENCE = "driving_licence"
    VEHICLE_REGISTRATIONS = "vehicle_registrations"
    TAX_REGISTRATION = "tax_registration"
    VACCINATIONS = "vaccinations"
