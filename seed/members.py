"""Household slots to citizen records: head first, with family links and statuses."""

from __future__ import annotations

import numpy as np

from seed.dates import days_ago
from seed.family import (
    ANCHOR,
    CHILD,
    DAUGHTER_IN_LAW,
    DIVORCED,
    ELDER_FATHER,
    ELDER_MOTHER,
    FATHER,
    FIRST_CHILD,
    GRANDCHILD_MATERNAL,
    GRANDCHILD_PATERNAL,
    HEAD,
    HUSBAND,
    MARRIED,
    MOTHER,
    NO_RELATIONSHIP,
    SINGLE_STATUS,
    SLOTS,
    SON_IN_LAW,
    SPOUSE,
    WIDOWED,
    WIFE,
    BoolArray,
    HouseholdSlots,
    IntArray,
    Members,
)


def members_of(draft: HouseholdSlots) -> Members:
    n = draft.present.shape[0]
    hh_grid = np.broadcast_to(np.arange(n)[:, None], draft.present.shape)
    slot_grid = np.broadcast_to(np.arange(SLOTS)[None, :], draft.present.shape)
    head_spouse = _spouse_slot(draft.head_slot)
    # Head first, then the head's spouse, then slot order; the deceased come last.
    rank = np.where(
        slot_grid == draft.head_slot[:, None],
        0,
        np.where(slot_grid == head_spouse[:, None], 1, slot_grid + 2),
    ) + np.where(draft.dead, 32, 0)
    key = (hh_grid * 64 + rank)[draft.present]
    order = np.argsort(key, kind="stable")
    household = hh_grid[draft.present][order]
    slot = slot_grid[draft.present][order]

    # Position of each (household, slot) record after sorting, -1 when absent.
    position = np.full((n, SLOTS), -1, dtype=np.int64)
    position[household, slot] = np.arange(len(order))

    is_male = draft.is_male[household, slot]
    dead = draft.dead[household, slot]
    age = draft.age[household, slot]
    birth_date = days_ago(age)
    death_date = days_ago(draft.death_years_ago[household, slot])

    anchor_is_male = draft.is_male[:, ANCHOR]
    father_of_children = np.where(anchor_is_male, position[:, ANCHOR], position[:, SPOUSE])
    mother_of_children = np.where(anchor_is_male, position[:, SPOUSE], position[:, ANCHOR])
    is_child = slot >= FIRST_CHILD
    is_anchor = slot == ANCHOR
    father = np.where(
        is_child,
        father_of_children[household],
        np.where(is_anchor, position[household, ELDER_FATHER], -1),
    )
    mother = np.where(
        is_child,
        mother_of_children[household],
        np.where(is_anchor, position[household, ELDER_MOTHER], -1),
    )
    partner_slot = _spouse_slot(slot)
    spouse = np.where(partner_slot >= 0, position[household, np.maximum(partner_slot, 0)], -1)

    alive = ~dead
    linked = spouse >= 0
    spouse_alive = linked & alive[np.maximum(spouse, 0)]
    marital = np.full(len(order), SINGLE_STATUS, dtype=np.int64)
    marital[linked & spouse_alive] = MARRIED
    # A record whose spouse died is widowed; the late spouse stays married (at death).
    marital[linked & alive & ~spouse_alive] = WIDOWED
    marital[linked & ~alive] = MARRIED
    marital[~linked & is_anchor & draft.divorced[household]] = DIVORCED
    # Old lone people whose spouse died before the records began: widowed, no link.
    lone_old = ~linked & is_anchor & (age >= 65) & ~draft.divorced[household]
    marital[lone_old] = WIDOWED

    relationship = _relationships(draft, household, slot, is_male)
    relationship = np.where(alive, relationship, NO_RELATIONSHIP)
    return Members(
        household=household.astype(np.int64),
        slot=slot.astype(np.int64),
        is_male=is_male,
        birth_date=birth_date,
        alive=alive,
        death_date=death_date,
        marital_status=marital.astype(np.int64),
        relationship=relationship.astype(np.int64),
        father=father.astype(np.int64),
        mother=mother.astype(np.int64),
        spouse=spouse.astype(np.int64),
    )


def _spouse_slot(slot: IntArray) -> IntArray:
    return np.select(
        [slot == ANCHOR, slot == SPOUSE, slot == ELDER_FATHER, slot == ELDER_MOTHER],
        [SPOUSE, ANCHOR, ELDER_MOTHER, ELDER_FATHER],
        default=-1,
    )


def _relationships(
    draft: HouseholdSlots, household: IntArray, slot: IntArray, is_male: BoolArray
) -> IntArray:
    head = draft.head_slot[household]
    anchor_male = draft.is_male[household, ANCHOR]
    partner = np.where(is_male, HUSBAND, WIFE)
    anchor_headed = np.select(
        [slot == head, slot == SPOUSE, slot == ELDER_FATHER, slot == ELDER_MOTHER],
        [HEAD, partner, FATHER, MOTHER],
        default=CHILD,
    )
    elder_headed = np.select(
        [
            slot == head,
            (slot == ELDER_FATHER) | (slot == ELDER_MOTHER),
            slot == ANCHOR,
            slot == SPOUSE,
        ],
        [HEAD, partner, CHILD, np.where(is_male, SON_IN_LAW, DAUGHTER_IN_LAW)],
        default=np.where(anchor_male, GRANDCHILD_PATERNAL, GRANDCHILD_MATERNAL),
    )
    return np.where(head == ANCHOR, anchor_headed, elder_headed)
