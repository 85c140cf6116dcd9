"""Numbers and contact details of a batch: CMND, phones, e-mails, sector numbers."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from seed import ids
from seed.dates import year_of
from seed.draft import BoolArray, Draft, IntArray
from seed.reference import mobile_prefixes, provinces

HEALTH_BENEFIT_LEVEL = {"TE": 1, "CC": 1, "HN": 2, "HT": 3, "DN": 4, "HS": 4, "SV": 4, "GD": 4}
EMAIL_DOMAINS = ("gmail.com",) * 15 + (
    "yahoo.com",
    "outlook.com",
    "icloud.com",
    "hotmail.com",
    "fpt.vn",
)
# Keys of the scrambling permutations, one per kind of number.
_SOCIAL_INSURANCE_KEY, _TAX_KEY = 11, 12


@dataclass(slots=True)
class Allocators:
    """Counters of one batch (or of the personas), one family per kind of number."""

    personal_id: ids.CounterAllocator = field(default_factory=ids.CounterAllocator)
    cmnd: ids.CounterAllocator = field(default_factory=ids.CounterAllocator)
    duplicated_cmnd: ids.CounterAllocator = field(default_factory=ids.CounterAllocator)
    phone: ids.CounterAllocator = field(default_factory=ids.CounterAllocator)

    @classmethod
    def for_batch(cls, batch_index: int, stride: int) -> Allocators:
        return cls(*(ids.CounterAllocator(batch_index, stride) for _ in range(4)))

    @classmethod
    def for_personas(cls) -> Allocators:
        return cls(*(ids.PersonaCounters() for _ in range(4)))


def maybe(values: list[str], present: BoolArray) -> list[str | None]:
    return [v if p else None for v, p in zip(values, present.tolist(), strict=True)]


def legacy_ids(
    draft: Draft, has_cmnd: BoolArray, residence_province: IntArray, allocators: Allocators
) -> list[str | None]:
    """Old 9-digit CMND numbers, prefixed by the office of the permanent residence."""
    province_table = provinces()
    legacy: list[str | None] = [None] * len(draft)
    duplicated = has_cmnd & draft.duplicated_cmnd
    where = np.flatnonzero(has_cmnd & ~duplicated)
    prefix = np.array(
        [int(p) for p in province_table.cmnd_prefixes[residence_province[where]]], dtype=np.int64
    )
    for i, number in zip(
        where.tolist(), ids.cmnd_numbers(prefix, allocators.cmnd.take(prefix)), strict=True
    ):
        legacy[i] = number
    where = np.flatnonzero(duplicated)
    # Both provinces share one counter family, keyed 27 like their common CMND prefix: the
    # numbers a batch hands out in Đồng Nai are the ones it hands out in Bà Rịa-Vũng Tàu.
    province_code = np.array([int(c) for c in province_table.codes[residence_province[where]]])
    counter = allocators.duplicated_cmnd.take(province_code)
    for i, number in zip(where.tolist(), ids.duplicated_cmnd_numbers(counter), strict=True):
        legacy[i] = number
    return legacy


def phones(rng: np.random.Generator, draft: Draft, allocators: Allocators) -> list[str | None]:
    own = draft.has_phone & (draft.phone_owner < 0)
    where = np.flatnonzero(own)
    prefix = np.array([int(p) for p in mobile_prefixes().sample(rng, len(where))], dtype=np.int64)
    numbers: list[str | None] = [None] * len(draft)
    for i, number in zip(
        where.tolist(), ids.phone_numbers(prefix, allocators.phone.take(prefix)), strict=True
    ):
        numbers[i] = number
    for i in np.flatnonzero(draft.has_phone & (draft.phone_owner >= 0)).tolist():
        numbers[i] = numbers[int(draft.phone_owner[i])]
    return numbers


@cache
def ascii_table() -> dict[int, str]:
    """str.translate table folding Vietnamese letters to ASCII (e-mail addresses)."""
    table: dict[int, str] = {ord("đ"): "d", ord("Đ"): "D", ord("'"): "", ord(" "): ""}
    for code in range(0xC0, 0x1FFF):
        char = chr(code)
        base = unicodedata.normalize("NFD", char)[0]
        if base.isascii() and base != char:
            table[code] = base
    return table


def emails(rng: np.random.Generator, draft: Draft) -> list[str | None]:
    table = ascii_table()
    addresses: list[str | None] = [None] * len(draft)
    where = np.flatnonzero(draft.email_wanted)
    numbers = rng.integers(1, 1000, len(where)).tolist()
    domain = rng.integers(0, len(EMAIL_DOMAINS), len(where)).tolist()
    style = rng.integers(0, 3, len(where)).tolist()
    years = (year_of(draft.birth_date[where]) % 100).tolist()
    for k, i in enumerate(where.tolist()):
        parts = str(draft.full_name[i]).split(" ")
        given = parts[-1].translate(table).lower()
        surname = parts[0].translate(table).lower()
        if style[k] == 0:
            local = f"{given}{surname}{years[k]:02d}"
        elif style[k] == 1:
            local = f"{given}.{surname}{numbers[k]}"
        else:
            local = f"{surname}{given}{numbers[k]}"
        addresses[i] = f"{local}@{EMAIL_DOMAINS[domain[k]]}"
    return addresses


@dataclass(frozen=True, slots=True)
class SectorNumbers:
    social_insurance: list[str | None]
    health_insurance: list[str | None]
    tax_code: list[str | None]


def sector_numbers(
    draft: Draft, citizen_id: IntArray, residence_province: IntArray
) -> SectorNumbers:
    """Sandbox numbers of the social-insurance, health-insurance and tax databases.

    The social-insurance number is 2 digits of province and 8 unique digits; the
    health-insurance card is beneficiary group, benefit level, province and that number;
    personal tax codes start with 8. Formats are realistic, values are not checkable.
    """
    province_code = np.array([int(c) for c in provinces().codes], dtype=np.int64)
    prov2 = [f"{c % 100:02d}" for c in province_code[residence_province].tolist()]
    tail = ids.scrambled(citizen_id, _SOCIAL_INSURANCE_KEY, 10_000, 10_000).tolist()
    social = [f"{p}{t:08d}" for p, t in zip(prov2, tail, strict=True)]
    has_social = draft.has_social_insurance.tolist()
    health = [
        f"{g}{HEALTH_BENEFIT_LEVEL[g]}{p}{s}" if g is not None and h else None
        for g, p, s, h in zip(draft.health_group.tolist(), prov2, social, has_social, strict=True)
    ]
    tax_tail = ids.scrambled(citizen_id, _TAX_KEY, 1000, 1_000_000).tolist()
    return SectorNumbers(
        social_insurance=maybe(social, draft.has_social_insurance),
        health_insurance=health,
        tax_code=maybe([f"8{t:09d}" for t in tax_tail], draft.has_tax_code),
    )
