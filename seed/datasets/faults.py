"""Faults found in agency-side records, each a pure function of a record and a random stream.

A fault returns the damaged value, or ``None`` when it does not apply to the record
(no day/month swap for the 15th, no CMND for someone who never had one).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache

from seed.numbers import ascii_table


@dataclass(slots=True)
class Subject:
    """What the agency holds about one person; faults edit it in place."""

    personal_id: str | None  # the registry's number, None for people not in it
    full_name: str
    birth_date: date
    birth_year_only: bool
    sex: str
    id_number: str
    legacy_id: str | None
    phone: str | None
    address: str
    health_insurance_card: str | None
    deceased: bool


Fault = Callable[[Subject, random.Random], bool]

VIETNAMESE_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
ASCII_LETTERS = "abcdeghiklmnopqrstuvxy"


@cache
def _fold_table() -> dict[int, str]:
    # The e-mail table also drops spaces and apostrophes; names keep both.
    return {k: v for k, v in ascii_table().items() if k not in (ord(" "), ord("'"))}


def strip_diacritics(subject: Subject, rng: random.Random) -> bool:
    folded = subject.full_name.translate(_fold_table())
    if folded == subject.full_name:
        return False
    subject.full_name = folded
    return True


def decompose_diacritics(subject: Subject, rng: random.Random) -> bool:
    decomposed = unicodedata.normalize("NFD", subject.full_name)
    if decomposed == subject.full_name:
        return False
    subject.full_name = decomposed
    return True


def upper_case(subject: Subject, rng: random.Random) -> bool:
    subject.full_name = subject.full_name.upper()
    return True


def swap_name_order(subject: Subject, rng: random.Random) -> bool:
    words = subject.full_name.split(" ")
    if len(words) < 2:
        return False
    # Western order: given name first, surname last.
    subject.full_name = " ".join([words[-1], *words[1:-1], words[0]])
    return True


def name_typo(subject: Subject, rng: random.Random) -> bool:
    name = subject.full_name
    positions = [i for i, c in enumerate(name) if c != " "]
    i = rng.choice(positions)
    kind = rng.randrange(3)
    if kind == 0 and i + 1 < len(name) and name[i + 1] != " " and name[i] != name[i + 1]:
        typo = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    elif kind == 1 and len(positions) > 4:
        typo = name[:i] + name[i + 1 :]
    else:
        # Keep the record's style: ASCII stays ASCII, upper case stays upper case.
        letters = ASCII_LETTERS if name.isascii() else VIETNAMESE_LETTERS
        replacement = rng.choice([c for c in letters if c != name[i].lower()])
        typo = (
            name[:i] + (replacement.upper() if name[i].isupper() else replacement) + name[i + 1 :]
        )
    subject.full_name = typo
    return typo != name


def swap_day_month(subject: Subject, rng: random.Random) -> bool:
    born = subject.birth_date
    if subject.birth_year_only or born.day > 12 or born.day == born.month:
        return False
    subject.birth_date = born.replace(month=born.day, day=born.month)
    return True


def year_only_birth_date(subject: Subject, rng: random.Random) -> bool:
    if subject.birth_year_only:
        return False
    subject.birth_year_only = True
    return True


def legacy_id_instead(subject: Subject, rng: random.Random) -> bool:
    # Only over an untouched ID: a wrong digit would otherwise vanish under the CMND.
    if not subject.legacy_id or subject.id_number != subject.personal_id:
        return False
    subject.id_number = subject.legacy_id
    return True


def wrong_id_digit(subject: Subject, rng: random.Random) -> bool:
    number = subject.id_number
    i = rng.randrange(len(number))
    digit = rng.choice([d for d in "0123456789" if d != number[i]])
    subject.id_number = number[:i] + digit + number[i + 1 :]
    return True


# Faults that damage a field of a real registry record, by name in the answer key.
FIELD_FAULTS: dict[str, Fault] = {
    "diacritics_stripped": strip_diacritics,
    "diacritics_decomposed": decompose_diacritics,
    "upper_case": upper_case,
    "name_order_swapped": swap_name_order,
    "name_typo": name_typo,
    "day_month_swapped": swap_day_month,
    "year_only_birth_date": year_only_birth_date,
    "legacy_id_instead": legacy_id_instead,
    "id_digit_wrong": wrong_id_digit,
}
# The field each fault damages: a row gets at most one fault per field, so that every
# fault in the answer key stays visible in the row.
FAULT_FIELD = {
    name: ("full_name" if i < 5 else "birth_date" if i < 7 else "id_number")
    for i, name in enumerate(FIELD_FAULTS)
}
# Faults that choose who the row is about, decided before the field faults.
DECEASED_STILL_ACTIVE = "deceased_still_active"
PHONE_REASSIGNED = "phone_reassigned"
NOT_IN_REGISTRY = "not_in_registry"
SUBJECT_FAULTS = (DECEASED_STILL_ACTIVE, PHONE_REASSIGNED, NOT_IN_REGISTRY)
ALL_FAULTS = (*FIELD_FAULTS, *SUBJECT_FAULTS)
