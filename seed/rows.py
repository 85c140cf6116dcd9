"""Turn a ``Draft`` into table rows: hand out numbers, issue cards, stamp the times."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from seed import ids, numbers
from seed.cards import (
    CCCD_2024,
    CCCD_CHIP,
    CCCD_ISSUERS,
    CMND,
    KIND_VALUES,
    NEVER,
    CardRows,
    card_rows,
    plan_cards,
)
from seed.dates import REFERENCE_DATE, Dates, iso, timestamps, year_of
from seed.draft import BoolArray, Draft, IntArray
from seed.family import MARITAL_VALUES
from seed.numbers import Allocators, maybe
from seed.records import sector_rows
from seed.reference import ObjectArray, provinces, wards

Row = tuple[Any, ...]

HOUSEHOLD_COLUMNS = (
    "id", "household_number", "residence_file_number", "address", "address_2025",
    "legacy_ward_code", "ward_code", "created_at", "updated_at",
)  # fmt: skip
CITIZEN_COLUMNS = (
    "id", "personal_id", "full_name", "other_names", "birth_date", "birth_date_precision", "sex",
    "place_of_birth", "birth_registration_province_code", "hometown", "ethnicity", "religion",
    "nationality", "blood_type", "legacy_id", "father_id", "mother_id", "spouse_id",
    "guardian_id", "permanent_address", "permanent_address_2025", "permanent_legacy_ward_code",
    "permanent_ward_code", "temporary_address", "temporary_address_2025",
    "temporary_legacy_ward_code", "temporary_ward_code", "current_address",
    "current_address_2025", "current_legacy_ward_code", "current_ward_code",
    "temporarily_absent", "residence_file_number", "marital_status", "household_id",
    "relationship_to_head", "death_date", "disappearance_date", "phone", "email",
    "social_insurance_number", "health_insurance_card", "tax_code", "vneid_level",
    "created_at", "updated_at",
)  # fmt: skip
IDENTITY_CARD_COLUMNS = (
    "id", "citizen_id", "number", "kind", "issued_on", "issued_by", "expires_on", "has_chip",
)  # fmt: skip

CITIES = {"001", "031", "048", "079", "092"}
_HOUSEHOLD_KEY, _FILE_KEY = 13, 14


# Ids of households and cards derive from citizen ids, so that every batch knows its
# ids without knowing the batches before it (they are generated in parallel):
# a household's id is the id of its head, a card's id numbers the (citizen, card) pair.
CARDS_PER_CITIZEN = 3


def card_id(citizen_id: IntArray, slot: IntArray) -> IntArray:
    return (citizen_id - 1) * CARDS_PER_CITIZEN + slot + 1


@dataclass(frozen=True, slots=True)
class Rows:
    household: list[Row]
    citizen: list[Row]
    identity_card: list[Row]
    sector_record: list[Row]


def _office_hours(rng: np.random.Generator, n: int) -> IntArray:
    # Registry clerks work 07:30-17:00 local time (UTC+7), i.e. 00:30-10:00 UTC.
    return (1800 + rng.random(n) * 34200).astype(np.int64)


def _masked(values: ObjectArray, present: BoolArray) -> ObjectArray:
    result = values.copy()
    result[~present] = None
    return result


def _dates_or_none(dates: Dates) -> list[str | None]:
    present = ~np.isnat(dates)
    return maybe(iso(np.where(present, dates, REFERENCE_DATE)), present)


def _addresses(
    street: ObjectArray, ward: IntArray, present: BoolArray
) -> tuple[ObjectArray, ObjectArray]:
    """Legacy and 2025 address strings, one object per distinct (street, ward)."""
    table = wards()
    legacy = np.full(len(ward), None, dtype=object)
    current = np.full(len(ward), None, dtype=object)
    where = np.flatnonzero(present)
    if len(where):
        legacy[where] = street[where] + ", " + table.legacy_text[ward[where]]
        current[where] = street[where] + ", " + table.text_2025[ward[where]]
    return legacy, current


def build_rows(
    draft: Draft, rng: np.random.Generator, allocators: Allocators, first_citizen_id: int
) -> Rows:
    """Rows of a draft whose first record gets ``first_citizen_id``."""
    n = len(draft)
    ward_table, province_table = wards(), provinces()
    citizen_id = np.arange(first_citizen_id, first_citizen_id + n, dtype=np.int64)
    # Each household's first record is its head (households are drafted head first).
    members = np.flatnonzero(draft.household >= 0)
    _, first = np.unique(draft.household[members], return_index=True)
    household_id = citizen_id[members[first]]
    birth_year = year_of(draft.birth_date)
    residence_province = ward_table.province[draft.permanent_ward]
    last_day = np.where(draft.alive, REFERENCE_DATE, draft.death_date)

    # Personal ID: birth-registration province, century and sex, birth year, random tail.
    province_code = np.array([int(c) for c in province_table.codes], dtype=np.int64)
    id_prefix = ids.personal_id_prefix(
        province_code[draft.registration_province], birth_year, draft.is_male
    )
    personal_ids = ids.personal_ids(id_prefix, allocators.personal_id.take(id_prefix))

    plan = plan_cards(
        rng,
        draft.birth_date,
        last_day,
        cmnd_share=draft.cmnd_share,
        no_cccd=draft.no_cccd,
        no_renewal=draft.no_renewal,
        child_card=draft.child_card,
        first_card_on=draft.first_card_on,
    )
    legacy_ids = numbers.legacy_ids(draft, plan.has_cmnd, residence_province, allocators)
    sector = numbers.sector_numbers(draft, citizen_id, residence_province)
    households = _household_rows(draft, rng, household_id)

    cards = card_rows(plan)
    last_card = np.full(n, np.datetime64("1900-01-01", "D"))
    np.maximum.at(last_card, cards.record, cards.issued)
    updated_on = np.maximum(draft.registered_on, last_card)
    died = ~np.isnat(draft.death_date)
    updated_on[died] = np.maximum(updated_on[died], draft.death_date[died] + 3)
    explicit = ~np.isnat(draft.updated_on)
    updated_on[explicit] = draft.updated_on[explicit]
    seconds = _office_hours(rng, n)

    # Household members share their household's address objects (built once per household).
    in_household = draft.household >= 0
    household_legacy, household_2025 = _addresses(
        draft.households.street, draft.households.ward, np.ones(len(draft.households), dtype=bool)
    )
    permanent, permanent_2025 = _addresses(
        draft.permanent_street, draft.permanent_ward, ~in_household
    )
    hh = np.maximum(draft.household, 0)
    permanent = np.where(in_household, household_legacy[hh], permanent)
    permanent_2025 = np.where(in_household, household_2025[hh], permanent_2025)
    temporary = draft.temporary_ward >= 0
    temp_ward = np.maximum(draft.temporary_ward, 0)
    temp, temp_2025 = _addresses(draft.temporary_street, temp_ward, temporary)
    temp_legacy_code = _masked(ward_table.legacy_codes[temp_ward], temporary)
    temp_code = _masked(ward_table.codes_2025[temp_ward], temporary)
    perm_legacy_code = ward_table.legacy_codes[draft.permanent_ward]
    perm_code = ward_table.codes_2025[draft.permanent_ward]
    file_numbers = np.array([None, *(row[2] for row in households)], dtype=object)[
        draft.household + 1
    ]

    def link(index: IntArray) -> list[int | None]:
        return [i + first_citizen_id if i >= 0 else None for i in index.tolist()]

    citizen_rows = list(
        zip(
            citizen_id.tolist(),
            personal_ids,
            draft.full_name.tolist(),
            draft.other_names.tolist(),
            iso(draft.birth_date),
            np.where(draft.year_only, "year", "full").tolist(),
            np.where(draft.is_male, "male", "female").tolist(),
            draft.place_of_birth.tolist(),
            province_table.codes[draft.registration_province].tolist(),
            draft.hometown.tolist(),
            draft.ethnicity.tolist(),
            draft.religion.tolist(),
            draft.nationality.tolist(),
            draft.blood_type.tolist(),
            legacy_ids,
            link(draft.father),
            link(draft.mother),
            link(draft.spouse),
            link(draft.guardian),
            permanent.tolist(),
            permanent_2025.tolist(),
            perm_legacy_code.tolist(),
            perm_code.tolist(),
            temp.tolist(),
            temp_2025.tolist(),
            temp_legacy_code.tolist(),
            temp_code.tolist(),
            # Current residence: the temporary one where registered, else the permanent one.
            np.where(temporary, temp, permanent).tolist(),
            np.where(temporary, temp_2025, permanent_2025).tolist(),
            np.where(temporary, temp_legacy_code, perm_legacy_code).tolist(),
            np.where(temporary, temp_code, perm_code).tolist(),
            draft.temporarily_absent.tolist(),
            file_numbers.tolist(),
            np.array(MARITAL_VALUES, dtype=object)[draft.marital_status].tolist(),
            maybe(household_id[np.maximum(draft.household, 0)].tolist(), draft.household >= 0),
            draft.relationship.tolist(),
            _dates_or_none(draft.death_date),
            _dates_or_none(draft.disappearance_date),
            numbers.phones(rng, draft, allocators),
            numbers.emails(rng, draft),
            sector.social_insurance,
            sector.health_insurance,
            sector.tax_code,
            draft.vneid_level.tolist(),
            timestamps(draft.registered_on, seconds),
            timestamps(updated_on, seconds),
            strict=True,
        )
    )
    card_table = _card_rows(cards, citizen_id, personal_ids, legacy_ids, residence_province)
    # Drawn last, so the rows above do not depend on them.
    return Rows(
        household=households,
        citizen=citizen_rows,
        identity_card=card_table,
        sector_record=sector_rows(rng, draft, citizen_id, residence_province, sector),
    )


def _household_rows(draft: Draft, rng: np.random.Generator, household_id: IntArray) -> list[Row]:
    ward_table, province_table = wards(), provinces()
    households = draft.households
    ward = households.ward
    codes = province_table.codes[ward_table.province[ward]].tolist()
    number = ids.scrambled(household_id, _HOUSEHOLD_KEY, 10_000, 100_000).tolist()
    file_tail = ids.scrambled(household_id, _FILE_KEY, 10_000, 10_000).tolist()
    legacy_codes = ward_table.legacy_codes[ward].tolist()
    legacy, current = _addresses(households.street, ward, np.ones(len(households), dtype=bool))
    stamps = timestamps(households.registered_on, _office_hours(rng, len(households)))
    return list(
        zip(
            household_id.tolist(),
            [f"{c}{x:09d}" for c, x in zip(codes, number, strict=True)],
            [f"{w}-{x:08d}" for w, x in zip(legacy_codes, file_tail, strict=True)],
            legacy.tolist(),
            current.tolist(),
            legacy_codes,
            ward_table.codes_2025[ward].tolist(),
            stamps,
            stamps,
            strict=True,
        )
    )


def _police_offices() -> list[str]:
    table = provinces()
    return [
        f"Công an {name}" if name.startswith("TP ") else
        f"Công an thành phố {name}" if code in CITIES else f"Công an tỉnh {name}"
        for code, name in zip(table.codes.tolist(), table.names.tolist(), strict=True)
    ]  # fmt: skip


def _card_rows(
    cards: CardRows,
    citizen_id: IntArray,
    personal_ids: list[str],
    legacy_ids: list[str | None],
    residence_province: IntArray,
) -> list[Row]:
    police = np.array(_police_offices(), dtype=object)
    record = cards.record
    kind = cards.kind
    is_cmnd = kind == CMND
    personal = np.array(personal_ids, dtype=object)[record]
    legacy = np.array(legacy_ids, dtype=object)[record]
    issuers = np.array(CCCD_ISSUERS, dtype=object)[kind]
    never = cards.expires == NEVER
    return list(
        zip(
            card_id(citizen_id[record], cards.slot).tolist(),
            citizen_id[record].tolist(),
            np.where(is_cmnd, legacy, personal).tolist(),
            np.array(KIND_VALUES, dtype=object)[kind].tolist(),
            iso(cards.issued),
            np.where(is_cmnd, police[residence_province[record]], issuers).tolist(),
            maybe(iso(np.where(never, REFERENCE_DATE, cards.expires)), ~never),
            ((kind == CCCD_CHIP) | (kind == CCCD_2024)).tolist(),
            strict=True,
        )
    )
