"""Vocabulary of household structures: slots, marital statuses, relationships to the head.

A household is drafted as slots: an *anchor* adult, the anchor's spouse, the anchor's
parents (elders) and up to five children; ``seed.households`` draws them and
``seed.members`` turns them into ordered, linked records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from seed.dates import Dates

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SINGLE, COUPLE, NUCLEAR, SINGLE_PARENT, THREE_GENERATIONS = range(5)
# Shares of household kinds, tuned so the mean household has ~3.5 members and the
# age pyramid lands near Vietnam's (about 24% under 15, 8% aged 65 or more).
KIND_WEIGHTS = np.array([0.12, 0.13, 0.46, 0.08, 0.21])

ANCHOR, SPOUSE, ELDER_FATHER, ELDER_MOTHER = range(4)
FIRST_CHILD = 4
MAX_CHILDREN = 5
SLOTS = FIRST_CHILD + MAX_CHILDREN

SINGLE_STATUS, MARRIED, DIVORCED, WIDOWED = range(4)
MARITAL_VALUES = ("single", "married", "divorced", "widowed")

# Relationship to the head (Circular 55/2021/TT-BCA vocabulary).
RELATIONSHIPS = (
    "Chủ hộ",
    "Vợ",
    "Chồng",
    "Con đẻ",
    "Con nuôi",
    "Cha đẻ",
    "Mẹ đẻ",
    "Con dâu",
    "Con rể",
    "Cháu nội",
    "Cháu ngoại",
)
HEAD, WIFE, HUSBAND, CHILD, ADOPTED, FATHER, MOTHER, DAUGHTER_IN_LAW, SON_IN_LAW = range(9)
GRANDCHILD_PATERNAL, GRANDCHILD_MATERNAL = 9, 10
NO_RELATIONSHIP = -1


@dataclass(frozen=True, slots=True)
class Members:
    """One element per citizen record, ordered by household then head first."""

    household: IntArray  # index of the household within the batch
    slot: IntArray
    is_male: BoolArray
    birth_date: Dates
    alive: BoolArray
    death_date: Dates  # meaningful where not alive
    marital_status: IntArray
    relationship: IntArray  # index into RELATIONSHIPS, -1 for records outside a household
    father: IntArray  # index of the record within the batch, -1 when not linked
    mother: IntArray
    spouse: IntArray

    def __len__(self) -> int:
        return len(self.household)


@dataclass(frozen=True, slots=True)
class HouseholdSlots:
    """Per household and slot: whether a record exists, its age, sex and death."""

    present: BoolArray  # (households, SLOTS)
    age: FloatArray  # years, as if still alive today
    is_male: BoolArray
    dead: BoolArray
    death_years_ago: FloatArray
    divorced: BoolArray  # (households,)
    head_slot: IntArray  # (households,)
