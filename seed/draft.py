"""The intermediate form of a batch: per-record arrays before numbers and rows exist.

Both the random population (``seed.population``) and the fixed personas
(``seed.personas``) produce a ``Draft``; ``seed.rows`` then hands out IDs, phones and
cards the same way for both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from seed.dates import Dates
from seed.reference import ObjectArray

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
NO_DATE = np.datetime64("NaT", "D")


@dataclass(frozen=True, slots=True)
class HouseholdDraft:
    ward: IntArray  # index into reference.wards()
    street: ObjectArray  # address part below the ward
    registered_on: Dates

    def __len__(self) -> int:
        return len(self.ward)


@dataclass(frozen=True, slots=True)
class Draft:
    """One element per citizen record; links are indices within the draft, -1 for none."""

    households: HouseholdDraft
    household: IntArray
    relationship: ObjectArray  # relationship to the head, None outside a household
    is_male: BoolArray
    birth_date: Dates
    year_only: BoolArray  # birth date known to the year only (stored as 1 January)
    alive: BoolArray
    death_date: Dates  # NaT for the living
    disappearance_date: Dates  # NaT unless declared missing
    marital_status: IntArray  # index into households.MARITAL_VALUES
    father: IntArray
    mother: IntArray
    spouse: IntArray
    guardian: IntArray
    full_name: ObjectArray
    other_names: ObjectArray
    ethnicity: ObjectArray
    religion: ObjectArray
    blood_type: ObjectArray
    nationality: ObjectArray
    place_of_birth: ObjectArray
    registration_province: IntArray  # index into reference.provinces()
    hometown: ObjectArray
    permanent_ward: IntArray
    permanent_street: ObjectArray
    temporary_ward: IntArray  # -1 without a temporary residence
    temporary_street: ObjectArray
    temporarily_absent: BoolArray
    has_phone: BoolArray
    phone_owner: IntArray  # -1: own number; else the record whose number is shared
    email_wanted: BoolArray
    vneid_level: IntArray
    cmnd_share: FloatArray  # chance of having held a 9-digit CMND
    duplicated_cmnd: BoolArray  # CMND inside the range issued twice
    no_cccd: BoolArray
    no_renewal: BoolArray
    child_card: BoolArray
    first_card_on: Dates  # NaT: drawn; else the issue date of the first 12-digit card
    has_social_insurance: BoolArray
    health_group: ObjectArray  # health-insurance beneficiary group, None without a card
    has_tax_code: BoolArray
    registered_on: Dates  # day the record entered the registry
    updated_on: Dates  # NaT: derived from the last card, death or registration

    def __len__(self) -> int:
        return len(self.is_male)
