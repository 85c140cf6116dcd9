"""Rows of the persona catalogue, identical in every seeded database.

``popreg seed personas`` prints the table of ``docs/personas.md``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from seed import ids
from seed.dates import REFERENCE_DATE, completed_years, iso
from seed.draft import NO_DATE, Draft, HouseholdDraft
from seed.family import MARITAL_VALUES
from seed.numbers import Allocators
from seed.personas import PERSONAS, Persona
from seed.reference import ObjectArray, provinces, wards
from seed.rows import CITIZEN_COLUMNS, Row, Rows, build_rows

# Personas draw their incidental details (blood type aside) from this fixed stream,
# never from the user's seed.
PERSONA_STREAM = 20_261_101
HISTORY_COLUMNS = ("id", "citizen_id", "previous_personal_id", "replaced_on", "reason")
_EMAIL = CITIZEN_COLUMNS.index("email")


@dataclass(frozen=True, slots=True)
class PersonaRows:
    rows: Rows
    personal_id_history: list[Row]


def _day(value: date | None) -> np.datetime64:
    return np.datetime64(value.isoformat(), "D") if value else NO_DATE


def _birth_ward(persona: Persona) -> int:
    """The given birth ward, else the residence ward when in the registration province."""
    table = wards()
    if persona.birth_ward:
        return table.index[persona.birth_ward]
    residence = table.index[persona.ward]
    registration = provinces().index[persona.birth_registration_province]
    if table.province[residence] == registration:
        return residence
    return int(table.province_start[registration])


def _health_group(age: int) -> str:
    return "TE" if age < 6 else "HS" if age < 18 else "HT" if age >= 60 else "DN"


def persona_draft() -> Draft:
    table, province_table = wards(), provinces()
    position = {persona.key: i for i, persona in enumerate(PERSONAS)}
    families: dict[str, int] = {}
    heads: dict[str, Persona] = {}
    for persona in PERSONAS:
        if persona.relationship is not None:
            families.setdefault(persona.family, len(families))
        if persona.relationship == "Chủ hộ":
            heads[persona.family] = persona
    if missing := set(families) - set(heads):
        raise ValueError(f"persona families without a head: {sorted(missing)}")
    ordered_heads = sorted(heads.values(), key=lambda p: families[p.family])

    def link(key: str | None) -> int:
        return position[key] if key else -1

    birth = np.array([_day(p.birth_date) for p in PERSONAS])
    age = completed_years(birth, np.full(len(PERSONAS), REFERENCE_DATE))
    birth_ward = [_birth_ward(p) for p in PERSONAS]
    place_of_birth = [
        p.place_of_birth or table.legacy_text[w] for p, w in zip(PERSONAS, birth_ward, strict=True)
    ]
    hometown = [
        table.legacy_text[table.index[p.hometown_ward] if p.hometown_ward else w]
        for p, w in zip(PERSONAS, birth_ward, strict=True)
    ]
    registered = np.array(
        [max(_day(p.birth_date) + 30, np.datetime64("2021-03-01")) for p in PERSONAS]
    )
    cmnd_share = {"auto": 0.8, "none": 0.0, "own": 1.0, "duplicated": 1.0}

    def array(values: Sequence[object]) -> ObjectArray:
        result = np.empty(len(values), dtype=object)
        result[:] = values
        return result

    return Draft(
        households=HouseholdDraft(
            ward=np.array([table.index[p.ward] for p in ordered_heads], dtype=np.int64),
            street=array([p.street for p in ordered_heads]),
            registered_on=np.full(len(ordered_heads), np.datetime64("2021-03-01", "D")),
        ),
        household=np.array(
            [families[p.family] if p.relationship else -1 for p in PERSONAS], dtype=np.int64
        ),
        relationship=array([p.relationship for p in PERSONAS]),
        is_male=np.array([p.sex == "male" for p in PERSONAS]),
        birth_date=birth,
        year_only=np.array([p.year_only for p in PERSONAS]),
        alive=np.array([p.death_date is None for p in PERSONAS]),
        death_date=np.array([_day(p.death_date) for p in PERSONAS]),
        disappearance_date=np.array([_day(p.disappearance_date) for p in PERSONAS]),
        marital_status=np.array(
            [MARITAL_VALUES.index(p.marital_status) for p in PERSONAS], dtype=np.int64
        ),
        father=np.array([link(p.father) for p in PERSONAS], dtype=np.int64),
        mother=np.array([link(p.mother) for p in PERSONAS], dtype=np.int64),
        spouse=np.array([link(p.spouse) for p in PERSONAS], dtype=np.int64),
        guardian=np.array([link(p.guardian) for p in PERSONAS], dtype=np.int64),
        full_name=array([unicodedata.normalize("NFC", p.full_name) for p in PERSONAS]),
        other_names=array([p.other_names for p in PERSONAS]),
        ethnicity=array([p.ethnicity for p in PERSONAS]),
        religion=array([p.religion for p in PERSONAS]),
        blood_type=array([p.blood_type for p in PERSONAS]),
        nationality=array([p.nationality for p in PERSONAS]),
        place_of_birth=array(place_of_birth),
        registration_province=np.array(
            [province_table.index[p.birth_registration_province] for p in PERSONAS], dtype=np.int64
        ),
        hometown=array(hometown),
        permanent_ward=np.array([table.index[p.ward] for p in PERSONAS], dtype=np.int64),
        permanent_street=array([p.street for p in PERSONAS]),
        temporary_ward=np.array(
            [table.index[p.temporary_ward] if p.temporary_ward else -1 for p in PERSONAS],
            dtype=np.int64,
        ),
        temporary_street=array([p.temporary_street for p in PERSONAS]),
        temporarily_absent=np.array([p.temporarily_absent for p in PERSONAS]),
        has_phone=np.array([p.phone != "none" for p in PERSONAS]),
        phone_owner=np.array([position.get(p.phone, -1) for p in PERSONAS], dtype=np.int64),
        email_wanted=np.zeros(len(PERSONAS), dtype=bool),
        vneid_level=np.array([p.vneid_level for p in PERSONAS], dtype=np.int64),
        cmnd_share=np.array([cmnd_share[p.cmnd] for p in PERSONAS]),
        duplicated_cmnd=np.array([p.cmnd == "duplicated" for p in PERSONAS]),
        no_cccd=np.array([p.cards in ("legacy_only", "none") for p in PERSONAS]),
        no_renewal=np.array([p.cards == "expired" for p in PERSONAS]),
        child_card=np.array([p.cards == "child_card" for p in PERSONAS]),
        has_social_insurance=np.ones(len(PERSONAS), dtype=bool),
        health_group=array([_health_group(int(a)) for a in age]),
        has_tax_code=(age >= 22) & (age < 65) & np.array([p.death_date is None for p in PERSONAS]),
        registered_on=registered,
        updated_on=np.array([_day(p.updated_on) for p in PERSONAS]),
        first_card_on=np.array(
            [
                np.datetime64("2021-05-10", "D") if p.cards == "expired" else NO_DATE
                for p in PERSONAS
            ]
        ),
    )


def persona_rows() -> PersonaRows:
    rng = np.random.default_rng(PERSONA_STREAM)
    allocators = Allocators.for_personas()
    rows = build_rows(persona_draft(), rng, allocators, 1)
    citizens = [
        (*row[:_EMAIL], persona.email, *row[_EMAIL + 1 :])
        for row, persona in zip(rows.citizen, PERSONAS, strict=True)
    ]
    history: list[Row] = []
    for citizen_id, persona in enumerate(PERSONAS, start=1):
        if persona.previous_id is None or persona.replaced_on is None:
            continue
        province, year, sex = persona.previous_id
        prefix = ids.personal_id_prefix(
            np.array([int(province)]), np.array([year]), np.array([sex == "male"])
        )
        previous = ids.personal_ids(prefix, allocators.personal_id.take(prefix))[0]
        history.append(
            (
                len(history) + 1,
                citizen_id,
                previous,
                iso(np.array([_day(persona.replaced_on)]))[0],
                persona.previous_id_reason,
            )
        )
    return PersonaRows(rows=replace(rows, citizen=citizens), personal_id_history=history)


def markdown_table() -> str:
    citizens = persona_rows().rows.citizen
    lines = [
        "| # | Key | Personal ID | Full name | Born | Tags | What it is for |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, (persona, row) in enumerate(zip(PERSONAS, citizens, strict=True), start=1):
        born = str(persona.birth_date.year) if persona.year_only else persona.birth_date.isoformat()
        lines.append(
            f"| {number} | `{persona.key}` | `{row[1]}` | {persona.full_name} | {born} | "
            f"{', '.join(persona.tags)} | {persona.purpose} |"
        )
    return "\n".join(lines) + "\n"
