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
