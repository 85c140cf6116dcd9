"""The persona catalogue: fixed test identities present in every seeded database.

Personas are the first citizens of every seed (ids 1…n, households 1…m) and get the
first counters of every number family, so their personal IDs, CMNDs and phones are
the same whatever the seed and the size. ``docs/personas.md`` lists them with their
numbers (``popreg seed personas`` prints the table).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any, Literal

Cards = Literal["standard", "legacy_only", "expired", "child_card", "none"]
Cmnd = Literal["auto", "none", "own", "duplicated"]


@dataclass(frozen=True, slots=True)
class Persona:
    key: str
    tags: tuple[str, ...]
    purpose: str  # what a tester uses it for
    full_name: str
    sex: Literal["male", "female"]
    birth_date: date
    birth_registration_province: str  # 3-digit code
    ward: str  # legacy ward code of the permanent residence
    street: str
    family: str  # persona families share a household
    relationship: str | None  # to the head; None: not registered in a household
    year_only: bool = False
    death_date: date | None = None
    disappearance_date: date | None = None
    marital_status: Literal["single", "married", "divorced", "widowed"] = "single"
    spouse: str | None = None
    father: str | None = None
    mother: str | None = None
    guardian: str | None = None
    ethnicity: str = "Kinh"
    religion: str = "Không"
    blood_type: str | None = "O"
    nationality: str = "Việt Nam"
    other_names: str | None = None
    place_of_birth: str | None = None  # free text; default: the birth-registration ward
    birth_ward: str | None = None  # default: the residence ward
    hometown_ward: str | None = None  # default: the birth ward
    temporary_ward: str | None = None
    temporary_street: str | None = None
    temporarily_absent: bool = False
    phone: str = "own"  # "own", "none" or the key of the persona whose number is shared
    email: str | None = None
    vneid_level: int = 2
    cmnd: Cmnd = "auto"
    cards: Cards = "standard"
    # ID re-issued after a correction: the wrong (province, birth year, sex) it encoded.
    previous_id: tuple[str, int, Literal["male", "female"]] | None = None
    previous_id_reason: str | None = None
    replaced_on: date | None = None
    updated_on: date | None = None  # the last change to the record, where it matters


def _persona(spec: dict[str, Any]) -> Persona:
    fields = dict(spec)
    for name in ("birth_date", "death_date", "disappearance_date", "replaced_on", "updated_on"):
        if fields.get(name):
            fields[name] = date.fromisoformat(fields[name])
    fields["tags"] = tuple(fields["tags"])
    if fields.get("previous_id"):
        province, year, sex = fields["previous_id"]
        fields["previous_id"] = (province, int(year), sex)
    return Persona(**fields)


def _load() -> tuple[Persona, ...]:
    text = resources.files("seed.data").joinpath("personas.json").read_text(encoding="utf-8")
    return tuple(_persona(spec) for spec in json.loads(text)["personas"])


# Catalogue order is significant: persona n is citizen n in every seeded registry.
PERSONAS: tuple[Persona, ...] = _load()


def persona_by_key() -> dict[str, Persona]:
    return {persona.key: persona for persona in PERSONAS}
