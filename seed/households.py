"""Household structures: who lives with whom, their ages, sexes and family links.

A household is built from slots: an *anchor* adult, the anchor's spouse, the anchor's
parents (elders) and up to five children. Ages are drawn from the children upwards
(mother's age at first birth, spacing between births) so that every parent is 16-50
years older than each child by construction. Deceased spouses and parents are
records without a household: they keep their links (a widow's late husband, a
child's late father) but are no longer registered at the address.
"""

from __future__ import annotations

import numpy as np

from seed.family import (
    ANCHOR,
    COUPLE,
    ELDER_FATHER,
    ELDER_MOTHER,
    FIRST_CHILD,
    KIND_WEIGHTS,
    MAX_CHILDREN,
    NUCLEAR,
    SINGLE,
    SINGLE_PARENT,
    SLOTS,
    SPOUSE,
    THREE_GENERATIONS,
    HouseholdSlots,
    IntArray,
    Members,
)
from seed.members import members_of


def draw_households(rng: np.random.Generator, citizens: int) -> Members:
    """Households whose records add up to exactly ``citizens``."""
    draft = _draft(rng, int(citizens / 3.3) + 16)
    while int(draft.present.sum()) < citizens:
        draft = _draft(rng, draft.present.shape[0] * 2)
    records = draft.present.sum(axis=1)
    kept = int(np.searchsorted(np.cumsum(records), citizens, side="right"))
    missing = citizens - int(records[:kept].sum())
    # Top up with one-person households so that the count is exact.
    fill = _draft(rng, missing, kinds=np.full(missing, SINGLE), allow_deceased=False)
    return members_of(_concat(_slice(draft, kept), fill))


def _draft(
    rng: np.random.Generator,
    n: int,
    kinds: IntArray | None = None,
    *,
    allow_deceased: bool = True,
) -> HouseholdSlots:
    kind = kinds if kinds is not None else rng.choice(5, size=n, p=KIND_WEIGHTS)
    present = np.zeros((n, SLOTS), dtype=bool)
    age = np.zeros((n, SLOTS))
    is_male = np.zeros((n, SLOTS), dtype=bool)
    dead = np.zeros((n, SLOTS), dtype=bool)
    death_years_ago = np.zeros((n, SLOTS))
    u = rng.random((n, 8))

    with_children = (kind == NUCLEAR) | (kind == SINGLE_PARENT) | (kind == THREE_GENERATIONS)
    n_children = np.where(
        kind == NUCLEAR,
        rng.choice([1, 2, 3, 4, 5], size=n, p=[0.34, 0.45, 0.15, 0.05, 0.01]),
        np.where(
            kind == SINGLE_PARENT,
            rng.choice([1, 2, 3], size=n, p=[0.55, 0.35, 0.10]),
            rng.choice([0, 1, 2, 3], size=n, p=[0.12, 0.38, 0.37, 0.13]),
        ),
    )
    n_children = np.where(with_children, n_children, 0)

    # Anchor's sex: men head most couples; lone parents and old singles are mostly women.
    old_single = (kind == SINGLE) & (u[:, 0] < 0.40)
    middle_single = (kind == SINGLE) & ~old_single & (u[:, 0] < 0.62)
    p_male = np.select(
        [kind == SINGLE_PARENT, old_single, kind == SINGLE, kind == THREE_GENERATIONS],
        [0.2, 0.3, 0.55, 0.8],
        default=0.78,
    )
    anchor_male = rng.random(n) < p_male

    # Spouse: couples always; three generations mostly; lone parents may be widowed.
    has_spouse = (
        (kind == COUPLE) | (kind == NUCLEAR) | ((kind == THREE_GENERATIONS) & (u[:, 1] < 0.9))
    )
    widowed_parent = (kind == SINGLE_PARENT) & (u[:, 1] < 0.35)
    divorced = ((kind == SINGLE_PARENT) & ~widowed_parent & (u[:, 1] < 0.9)) | (
        (kind == SINGLE) & ((old_single & (u[:, 1] > 0.85)) | (middle_single & (u[:, 1] < 0.35)))
    )
    widowed_single = old_single & (u[:, 1] < 0.6)
    spouse_dead = (
        widowed_parent
        | widowed_single
        | ((kind == THREE_GENERATIONS) & has_spouse & (u[:, 2] < 0.03))
    )
    if not allow_deceased:
        spouse_dead[:] = False
    spouse_record = has_spouse | spouse_dead

    # Children's ages first, then the mother's and father's from them.
    spacing = rng.uniform(1.5, 5.0, size=(n, MAX_CHILDREN))
    spacing[:, 0] = 0.0
    spacing[np.arange(MAX_CHILDREN)[None, :] >= n_children[:, None]] = 0.0
    youngest = np.select(
        [kind == THREE_GENERATIONS, u[:, 3] < 0.62],
        [rng.uniform(0, 10, n), rng.uniform(0, 13, n)],
        default=rng.uniform(15, 26, n),
    )
    first_birth = np.clip(rng.normal(24.5, 3.5, n), 18.5, 34.0)
    # The mother is at most 46 at her last birth: squeeze the spacings when needed.
    span = spacing.sum(axis=1)
    squeeze = np.minimum(1.0, (46.0 - first_birth) / np.maximum(span, 1e-9))
    spacing *= squeeze[:, None]
    span = spacing.sum(axis=1)
    eldest = youngest + span
    # Children ordered eldest first: child k is eldest minus the spacings up to k.
    child_age = eldest[:, None] - np.cumsum(spacing, axis=1)
    mother_age = eldest + first_birth
    gap = np.clip(rng.normal(3.5, 3.0, n), -1.5, 12.0)
    gap = np.minimum(gap, 48.0 - first_birth - span)
    father_age = np.maximum(mother_age + gap, 20.5)

    # Households without children: ages by life stage.
    young_couple = (kind == COUPLE) & (u[:, 4] < 0.4)
    lone_age = np.select(
        [old_single, middle_single, kind == SINGLE],
        [rng.triangular(60, 72, 99, n), rng.uniform(35, 60, n), rng.uniform(18, 35, n)],
    )
    couple_age = np.where(young_couple, rng.uniform(21, 34, n), rng.triangular(48, 60, 94, n))
    couple_partner = couple_age - np.clip(rng.normal(3.0, 3.0, n), -2.0, 10.0)
    no_children = ~with_children
    husband_age = np.where(no_children, np.where(kind == SINGLE, lone_age, couple_age), father_age)
    wife_age = np.where(no_children, np.where(kind == SINGLE, lone_age, couple_partner), mother_age)
    # The man of a couple is at least 20, the woman at least 18 (marriage ages).
    husband_age = np.maximum(husband_age, 20.5)
    wife_age = np.maximum(wife_age, 18.5)

    anchor_age = np.where(anchor_male, husband_age, wife_age)
    partner_age = np.where(anchor_male, wife_age, husband_age)

    present[:, ANCHOR] = True
    age[:, ANCHOR] = anchor_age
    is_male[:, ANCHOR] = anchor_male
    present[:, SPOUSE] = spouse_record
    age[:, SPOUSE] = partner_age
    is_male[:, SPOUSE] = ~anchor_male
    dead[:, SPOUSE] = spouse_dead
    # A late spouse died after the youngest child was born, in the last 15 years.
    latest_death = np.where(
        with_children, np.minimum(youngest, 15.0), np.minimum(15.0, partner_age - 45)
    )
    death_years_ago[:, SPOUSE] = rng.random(n) * np.maximum(latest_death, 0.1)

    child_slots = np.arange(MAX_CHILDREN)[None, :] < n_children[:, None]
    present[:, FIRST_CHILD:] = child_slots
    age[:, FIRST_CHILD:] = child_age
    is_male[:, FIRST_CHILD:] = rng.random((n, MAX_CHILDREN)) < 0.525

    # Elders: the anchor's own parents, in three-generation households only.
    three = kind == THREE_GENERATIONS
    elder_mother_age = anchor_age + np.minimum(
        np.clip(rng.normal(28, 5, n), 18.5, 42), 99 - anchor_age
    )
    elder_gap = np.minimum(np.clip(rng.normal(3, 3, n), -1.5, 10), 101 - elder_mother_age)
    elder_gap = np.minimum(elder_gap, 48 - (elder_mother_age - anchor_age))
    elder_father_age = elder_mother_age + elder_gap
    pattern = rng.choice(
        4, size=n, p=[0.5, 0.35, 0.1, 0.05]
    )  # both, father dead, mother dead, mother only
    present[:, ELDER_FATHER] = three & (pattern != 3)
    present[:, ELDER_MOTHER] = three
    dead[:, ELDER_FATHER] = three & (pattern == 1)
    dead[:, ELDER_MOTHER] = three & (pattern == 2)
    if not allow_deceased:
        dead[:, ELDER_FATHER] = dead[:, ELDER_MOTHER] = False
    age[:, ELDER_FATHER] = elder_father_age
    age[:, ELDER_MOTHER] = elder_mother_age
    is_male[:, ELDER_FATHER] = True
    death_years_ago[:, ELDER_FATHER] = rng.random(n) * np.clip(elder_father_age - 50, 0.1, 15)
    death_years_ago[:, ELDER_MOTHER] = rng.random(n) * np.clip(elder_mother_age - 50, 0.1, 15)

    # The head: the anchor, or in four of ten three-generation homes the living elder father
    # (the elder mother when he is dead or absent).
    elder_head = three & (rng.random(n) < 0.4)
    elder_father_alive = present[:, ELDER_FATHER] & ~dead[:, ELDER_FATHER]
    elder_mother_alive = present[:, ELDER_MOTHER] & ~dead[:, ELDER_MOTHER]
    head_slot = np.where(
        elder_head & elder_father_alive,
        ELDER_FATHER,
        np.where(elder_head & elder_mother_alive, ELDER_MOTHER, ANCHOR),
    )
    return HouseholdSlots(
        present, age, is_male, dead, death_years_ago, divorced & ~spouse_record, head_slot
    )


def _slice(draft: HouseholdSlots, n: int) -> HouseholdSlots:
    return HouseholdSlots(*(getattr(draft, f)[:n] for f in HouseholdSlots.__dataclass_fields__))


def _concat(a: HouseholdSlots, b: HouseholdSlots) -> HouseholdSlots:
    return HouseholdSlots(
        *(
            np.concatenate([getattr(a, f), getattr(b, f)])
            for f in HouseholdSlots.__dataclass_fields__
        )
    )
