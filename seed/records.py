"""Sector records of a batch: what the insurance, transport, police, tax and health systems
hold about the living, as the demo agencies pushed it.

Rough real proportions (2024-2026): health insurance for the ~87% of the living who
hold a card number (``seed.numbers``); a social-insurance book for ~40% of the
working-age; a motorbike licence (A1) for ~40% of adults and a car licence (B) for
~9%; a registered motorbike for ~45% of adults, a car for ~6%; a personal tax
registration for the tax codes ``seed.numbers`` hands out; COVID-19 doses for most
people aged 12 and over, the first childhood doses for young children.

Each record is at version 1 and has no ``sector_record_version`` row: a record's
current state is its latest version, and the first change through the API writes
the seeded state down as version 1 before version 2 (``app.records.service``).
That keeps the seed to one row per record.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import repeat
from operator import itemgetter
from typing import Any

import numpy as np
import orjson

from seed import ids
from seed.dates import (
    REFERENCE_DATE,
    Dates,
    add_years,
    completed_years,
    iso,
    timestamps,
    year_of,
)
from seed.draft import BoolArray, Draft, IntArray
from seed.numbers import SectorNumbers
from seed.reference import ObjectArray, provinces, wards
from seed.sector_catalogue import (
    CARS,
    CHILDHOOD_DOSES,
    COLOURS,
    COVID_VACCINES,
    EMPLOYER_FORMS,
    EMPLOYER_TRADES,
    EMPLOYER_WORDS,
    MOTORBIKES,
    PLATE_CODES,
    PLATE_LETTERS,
)

Row = tuple[Any, ...]
SECTOR_RECORD_COLUMNS = (
    "id", "citizen_id", "kind", "key", "number", "status", "valid_from", "valid_until", "data",
    "agency_code", "version", "created_at", "updated_at",
)  # fmt: skip

# Record ids derive from citizen ids (batches are drawn in parallel): slot per kind.
RECORDS_PER_CITIZEN = 10
HEALTH, SOCIAL, LICENCE, TAX, VEHICLE, VACCINE = 0, 1, 2, 3, 4, 6  # vehicles 4-5, vaccines 6-8
# Agencies push through the registry from 2022 (after its launch in July 2021).
FIRST_PUSH = np.datetime64("2022-01-03", "D")
FIRST_COVID_DOSE = np.datetime64("2021-07-15", "D")  # the mass campaign's start
LAST_DAY = REFERENCE_DATE - 1  # records issued up to the day before the seed's "today"
# Licences have been issued by the police since 1 March 2025.
POLICE_LICENSING = np.datetime64("2025-03-01", "D")
SOURCE = {
    "health_insurance": "social-insurance-demo",
    "social_insurance": "social-insurance-demo",
    "driving_licence": "transport-licensing-demo",
    "vehicle_registration": "traffic-police-demo",
    "tax_registration": "tax-authority-demo",
    "vaccination": "honglinh-hospital",
}
_LICENCE_KEY, _VEHICLE_KEY, _PLATE_KEY, _VACCINE_KEY = 21, 22, 23, 24


def record_id(citizen_id: IntArray, slot: IntArray | int) -> IntArray:
    return (citizen_id - 1) * RECORDS_PER_CITIZEN + slot + 1


@dataclass
class _Kind:
    """Columns of one kind's records, one element per record."""

    kind: str
    record: IntArray  # index into the batch
    slot: IntArray
    number: list[str]
    status: list[str]
    valid_from: Dates
    valid_until: Dates  # NaT: no end
    data: list[str]  # JSON text


def sector_rows(
    rng: np.random.Generator,
    draft: Draft,
    citizen_id: IntArray,
    residence_province: IntArray,
    numbers: SectorNumbers,
) -> list[Row]:
    """Every seeded record of the batch, in record-id order."""
    age = completed_years(draft.birth_date, np.full(len(draft), REFERENCE_DATE))
    alive = draft.alive
    province_code = provinces().codes[residence_province]
    kinds = [
        _health(rng, draft, alive, age, numbers, residence_province),
        _social(rng, draft, alive, age, numbers),
        _licences(rng, draft, alive, age, citizen_id, province_code, residence_province),
        _vehicles(rng, draft, alive, age, citizen_id, province_code),
        _tax(rng, draft, alive, age, numbers, residence_province),
        _vaccinations(rng, draft, alive, age, citizen_id, province_code),
    ]
    return _rows(rng, kinds, citizen_id)


def _rows(rng: np.random.Generator, kinds: list[_Kind], citizen_id: IntArray) -> list[Row]:
    records: list[Row] = []
    for k in kinds:
        n = len(k.record)
        if not n:
            continue
        # Pushed on a working day after the agency joined, or soon after issue.
        joined = FIRST_PUSH + (rng.random(n) * 300).astype("timedelta64[D]")
        issued = np.where(np.isnat(k.valid_from), joined, k.valid_from)
        pushed = np.minimum(
            np.maximum(joined, issued + (rng.random(n) * 10).astype("timedelta64[D]")),
            REFERENCE_DATE - 1,
        )
        seconds = (1800 + rng.random(n) * 34200).astype(np.int64)
        stamps = timestamps(pushed, seconds)
        ids_ = record_id(citizen_id[k.record], k.slot).tolist()
        starts, ends = _dates(k.valid_from), _dates(k.valid_until)
        multi = k.kind in ("vehicle_registration", "vaccination")
        records += zip(
            ids_,
            citizen_id[k.record].tolist(),
            repeat(k.kind),
            k.number if multi else repeat(""),
            k.number,
            k.status,
            starts,
            ends,
            k.data,
            repeat(SOURCE[k.kind]),
            repeat(1),
            stamps,
            stamps,
        )
    records.sort(key=itemgetter(0))
    return records


@cache
def _q(text: str) -> str:
    """``text`` as a JSON string (catalogue and place names repeat: quoted once each)."""
    return orjson.dumps(text).decode()


def _dates(days: Dates) -> list[str | None]:
    present = ~np.isnat(days)
    if not present.any():
        return [None] * len(days)
    text = iso(np.where(present, days, REFERENCE_DATE))
    return [t if p else None for t, p in zip(text, present.tolist(), strict=True)]


def _between(rng: np.random.Generator, start: Dates, end: Dates) -> Dates:
    span = np.maximum((end - start).astype(np.int64), 0)
    drawn: Dates = start + (rng.random(len(start)) * (span + 1)).astype("timedelta64[D]")
    return drawn


def _pick(rng: np.random.Generator, choices: tuple[Any, ...], n: int) -> list[Any]:
    return [choices[i] for i in rng.integers(0, len(choices), n).tolist()]


def _weighted_index(
    rng: np.random.Generator, table: tuple[tuple[Any, ...], ...], n: int
) -> IntArray:
    weights = np.array([row[-1] for row in table], dtype=np.float64)
    picks: IntArray = rng.choice(len(table), size=n, p=weights / weights.sum())
    return picks


def _weighted(
    rng: np.random.Generator, table: tuple[tuple[Any, ...], ...], n: int
) -> list[tuple[Any, ...]]:
    return [table[i] for i in _weighted_index(rng, table, n).tolist()]


def _province_names(residence_province: IntArray) -> ObjectArray:
    names: ObjectArray = provinces().names[residence_province]
    return names


# --- kinds ---------------------------------------------------------------------------


def _health(
    rng: np.random.Generator,
    draft: Draft,
    alive: BoolArray,
    age: IntArray,
    numbers: SectorNumbers,
    residence_province: IntArray,
) -> _Kind:
    has = alive & np.array([n is not None for n in numbers.health_insurance], dtype=bool)
    where = np.flatnonzero(has)
    n = len(where)
    year_start = np.datetime64("2026-01-01", "D")
    # A few were not renewed this year (only cards that existed last year can lapse).
    lapsed = (rng.random(n) < 0.03) & (draft.birth_date[where] < np.datetime64("2025-01-01"))
    start = np.where(lapsed, np.datetime64("2025-01-01", "D"), year_start)
    start = np.maximum(start, draft.birth_date[where])
    end = np.where(lapsed, np.datetime64("2025-12-31", "D"), np.datetime64("2026-12-31", "D"))
    # Children's cards (group TE) run until the day before their sixth birthday.
    child = np.array([str(numbers.health_insurance[i])[:2] == "TE" for i in where], dtype=bool)
    end = np.where(child & ~lapsed, add_years(draft.birth_date[where], 6) - 1, end)
    ward_names = wards().legacy_names[draft.permanent_ward[where]].tolist()
    province_names = _province_names(residence_province[where]).tolist()
    hospital = rng.random(n) < 0.3
    five_years = (age[where] >= 23) & (rng.random(n) < 0.55)
    since = iso(REFERENCE_DATE - (rng.uniform(5, 15, n) * 365.25).astype("timedelta64[D]"))
    data: list[str] = []
    for k in range(n):
        facility = _q(
            f"Bệnh viện Đa khoa {province_names[k]}"
            if hospital[k]
            else f"Trạm Y tế {ward_names[k]}"
        )
        if five_years[k]:
            data.append(
                f'{{"registered_facility":{facility},"continuous_five_years_from":"{since[k]}"}}'
            )
        else:
            data.append(f'{{"registered_facility":{facility}}}')
    return _Kind(
        "health_insurance",
        where,
        np.full(n, HEALTH),
        [str(numbers.health_insurance[i]) for i in where.tolist()],
        np.where(lapsed, "expired", "valid").tolist(),
        start,
        end,
        data,
    )


def _social(
    rng: np.random.Generator, draft: Draft, alive: BoolArray, age: IntArray, numbers: SectorNumbers
) -> _Kind:
    retirement = np.where(draft.is_male, 61, 57)
    has_number = np.array([n is not None for n in numbers.social_insurance], dtype=bool)
    working = alive & has_number & (age >= 18) & (age < retirement)
    where = np.flatnonzero(working & (rng.random(len(draft)) < 0.42))
    n = len(where)
    voluntary = rng.random(n) < 0.12
    months_possible = np.maximum((age[where] - 18) * 12, 1)
    months = np.maximum((rng.random(n) * months_possible).astype(np.int64), 1)
    start = REFERENCE_DATE - (months * 30.44).astype("timedelta64[D]")
    paused = rng.random(n) < 0.06
    forms = _pick(rng, EMPLOYER_FORMS, n)
    trades = _pick(rng, EMPLOYER_TRADES, n)
    words = _pick(rng, EMPLOYER_WORDS, n)
    month_counts = months.tolist()
    data: list[str] = []
    for k in range(n):
        if voluntary[k]:
            data.append(f'{{"participation":"voluntary","contribution_months":{month_counts[k]}}}')
        else:
            employer = _q(f"{forms[k]} {trades[k]} {words[k]}")
            data.append(
                f'{{"participation":"compulsory","employer":{employer},'
                f'"contribution_months":{month_counts[k]}}}'
            )
    return _Kind(
        "social_insurance",
        where,
        np.full(n, SOCIAL),
        [str(numbers.social_insurance[i]) for i in where.tolist()],
        np.where(paused, "suspended", "valid").tolist(),
        start,
        np.full(n, np.datetime64("NaT", "D")),
        data,
    )


def _licences(
    rng: np.random.Generator,
    draft: Draft,
    alive: BoolArray,
    age: IntArray,
    citizen_id: IntArray,
    province_code: ObjectArray,
    residence_province: IntArray,
) -> _Kind:
    size = len(draft)
    adult = alive & (age >= 18)
    car_share = np.where((age >= 20) & (age < 65), np.where(draft.is_male, 0.14, 0.045), 0.02)
    has_b = adult & (rng.random(size) < car_share)
    # Most car drivers also hold the motorbike class.
    a1_share = np.where(age < 70, 0.38, 0.15)
    has_a1 = adult & ((rng.random(size) < a1_share) | (has_b & (rng.random(size) < 0.85)))
    trucks = has_b & draft.is_male & (rng.random(size) < 0.25)
    where = np.flatnonzero(has_a1 | has_b)
    n = len(where)
    eighteenth = add_years(draft.birth_date[where], 18)
    first_issue = _between(rng, eighteenth, np.minimum(add_years(eighteenth, 12), REFERENCE_DATE))
    car = has_b[where]
    # Car and truck licences run 10 and 5 years; the holder renews, so the current
    # one started within its term (a few lapsed without renewal).
    term = np.where(trucks[where], 5, 10)
    renewed = np.maximum(
        first_issue, REFERENCE_DATE - (rng.random(n) * term * 365.25).astype("timedelta64[D]")
    )
    lapsed = car & (rng.random(n) < 0.03)
    start = np.where(car, renewed, first_issue)
    start = np.where(lapsed, start - (term * 365.25).astype("timedelta64[D]"), start)
    start = np.maximum(start, first_issue)
    end = np.where(car, add_years(start, term), np.datetime64("NaT", "D"))
    status = np.where(car & (end < REFERENCE_DATE), "expired", "valid")
    status = np.where(rng.random(n) < 0.01, "suspended", status)
    prefix = [PLATE_CODES[c][0] for c in province_code[where].tolist()]
    tail = ids.scrambled(citizen_id[where], _LICENCE_KEY, 100_000, 100_000).tolist()
    names = _province_names(residence_province[where]).tolist()
    by_police = (start >= POLICE_LICENSING).tolist()
    a1 = has_a1[where].tolist()
    truck = trucks[where].tolist()
    heavy = (rng.random(n) < 0.2).tolist()
    cars = car.tolist()
    data: list[str] = []
    for k in range(n):
        classes = (["A1"] if a1[k] else []) + (["B"] if cars[k] else [])
        if truck[k]:
            classes.append("C" if heavy[k] else "C1")
        issuer = _q(f"Phòng CSGT Công an {names[k]}" if by_police[k] else f"Sở GTVT {names[k]}")
        listed = ",".join(f'"{c}"' for c in classes)
        data.append(f'{{"classes":[{listed}],"issued_by":{issuer}}}')
    return _Kind(
        "driving_licence",
        where,
        np.full(n, LICENCE),
        [f"{p:02d}{t:010d}" for p, t in zip(prefix, tail, strict=True)],
        status.tolist(),
        start,
        end,
        data,
    )


def _vehicles(
    rng: np.random.Generator,
    draft: Draft,
    alive: BoolArray,
    age: IntArray,
    citizen_id: IntArray,
    province_code: ObjectArray,
) -> _Kind:
    size = len(draft)
    adult = alive & (age >= 18) & (age < 80)
    bike = adult & (rng.random(size) < 0.45)
    car = adult & (age >= 25) & (age < 70) & (rng.random(size) < 0.06)
    second_bike = bike & ~car & (rng.random(size) < 0.12)
    owners = np.concatenate(
        [np.flatnonzero(bike), np.flatnonzero(car), np.flatnonzero(second_bike)]
    )
    is_car = np.concatenate(
        [
            np.zeros(int(bike.sum()), bool),
            np.ones(int(car.sum()), bool),
            np.zeros(int(second_bike.sum()), bool),
        ]
    )
    # The first motorbike takes slot 4, a car or a second motorbike slot 5.
    slot = np.concatenate(
        [
            np.full(int(bike.sum()), VEHICLE),
            np.full(int(car.sum() + second_bike.sum()), VEHICLE + 1),
        ]
    )
    n = len(owners)
    adult_from = add_years(draft.birth_date[owners], 18)
    registered = _between(
        rng, np.maximum(adult_from, np.datetime64("2005-01-01", "D")), np.full(n, LAST_DAY)
    )
    revoked = rng.random(n) < 0.02
    serial = ids.scrambled(record_id(citizen_id[owners], slot), _VEHICLE_KEY, 10_000, 100_000)
    plate_digits = ids.scrambled(record_id(citizen_id[owners], slot), _PLATE_KEY, 1000, 100)
    codes = province_code[owners].tolist()
    code_pick = rng.random(n).tolist()
    letters = rng.integers(0, len(PLATE_LETTERS), n).tolist()
    series_digit = rng.integers(1, 10, n).tolist()
    bikes = _weighted(rng, MOTORBIKES, n)
    cars = _weighted(rng, CARS, n)
    colours = _pick(rng, COLOURS, n)
    years = np.maximum(year_of(registered) - rng.integers(0, 2, n), 2000).tolist()
    data: list[str] = []
    for k in range(n):
        choices = PLATE_CODES[codes[k]]
        code = choices[int(code_pick[k] * len(choices))]
        digits = f"{plate_digits[k] // 100:03d}.{plate_digits[k] % 100:02d}"
        letter = PLATE_LETTERS[letters[k]]
        if is_car[k]:
            plate, kind, (make, model, _) = f"{code}{letter}-{digits}", "car", cars[k]
        else:
            plate = f"{code}-{letter}{series_digit[k]} {digits}"
            kind, (make, model, _) = "motorbike", bikes[k]
        data.append(
            f'{{"plate":"{plate}","vehicle_type":"{kind}","make":{_q(make)},'
            f'"model":{_q(model)},"colour":{_q(colours[k])},"year":{years[k]}}}'
        )
    return _Kind(
        "vehicle_registration",
        owners,
        slot,
        [f"{s:09d}" for s in serial.tolist()],
        np.where(revoked, "revoked", "valid").tolist(),
        registered,
        np.full(n, np.datetime64("NaT", "D")),
        data,
    )


def _tax(
    rng: np.random.Generator,
    draft: Draft,
    alive: BoolArray,
    age: IntArray,
    numbers: SectorNumbers,
    residence_province: IntArray,
) -> _Kind:
    has = alive & np.array([n is not None for n in numbers.tax_code], dtype=bool)
    where = np.flatnonzero(has)
    n = len(where)
    from_22 = add_years(draft.birth_date[where], 22)
    registered = _between(
        rng, np.maximum(from_22, np.datetime64("2010-01-01", "D")), np.full(n, LAST_DAY)
    )
    names = _province_names(residence_province[where]).tolist()
    return _Kind(
        "tax_registration",
        where,
        np.full(n, TAX),
        [str(numbers.tax_code[i]) for i in where.tolist()],
        ["valid"] * n,
        registered,
        np.full(n, np.datetime64("NaT", "D")),
        [f'{{"tax_office":{_q(f"Chi cục Thuế khu vực {name}")}}}' for name in names],
    )


def _vaccinations(
    rng: np.random.Generator,
    draft: Draft,
    alive: BoolArray,
    age: IntArray,
    citizen_id: IntArray,
    province_code: ObjectArray,
) -> _Kind:
    size = len(draft)
    born = draft.birth_date
    # COVID-19: people 12 and over in 2022 (born 2010 or before), from mid-2021.
    eligible = alive & (born <= np.datetime64("2010-06-30", "D"))
    doses = np.zeros(size, dtype=np.int64)
    u = rng.random(size)
    adult = born <= np.datetime64("2004-06-30", "D")
    doses = np.where(eligible & (u < 0.92), 1, doses)
    doses = np.where(eligible & (u < 0.88), 2, doses)
    doses = np.where(eligible & adult & (u < 0.55), 3, doses)
    # Young children: the first doses of the expanded programme.
    toddler = alive & (born > np.datetime64("2020-06-30", "D"))
    child_doses = np.where(toddler, np.where(rng.random(size) < 0.9, 3, 2), 0)
    child_doses = np.where(
        toddler & (age < 1) & (REFERENCE_DATE - born < np.timedelta64(61, "D")), 2, child_doses
    )
    first_dose = FIRST_COVID_DOSE + (rng.random(size) * 150).astype("timedelta64[D]")
    second_dose = first_dose + rng.uniform(28, 90, size).astype("timedelta64[D]")
    third_dose = second_dose + rng.uniform(150, 300, size).astype("timedelta64[D]")
    vaccine = np.array([_q(name) for name, _ in COVID_VACCINES], dtype=object)[
        _weighted_index(rng, COVID_VACCINES, size)
    ]
    records, slots, given, data = [], [], [], []
    for dose, day in ((1, first_dose), (2, second_dose), (3, third_dose)):
        who = np.flatnonzero(doses >= dose)
        records.append(who)
        slots.append(np.full(len(who), VACCINE + dose - 1))
        given.append(day[who])
        data += [f'{{"vaccine":{v},"disease":"COVID-19","dose":{dose}' for v in vaccine[who]]
    for position, (name, disease, dose, at_days) in enumerate(CHILDHOOD_DOSES):
        who = np.flatnonzero(child_doses > position)
        records.append(who)
        slots.append(np.full(len(who), VACCINE + position))
        given.append(born[who] + np.timedelta64(at_days + (1 if at_days else 0), "D"))
        text = f'{{"vaccine":{_q(name)},"disease":{_q(disease)},"dose":{dose}'
        data += [text] * len(who)
    record = np.concatenate(records)
    slot = np.concatenate(slots)
    days = np.concatenate(given)
    n = len(record)
    serial = ids.scrambled(record_id(citizen_id[record], slot), _VACCINE_KEY, 10_000, 10_000)
    codes = province_code[record].tolist()
    years = year_of(days).tolist()
    ward_names = wards().legacy_names[draft.permanent_ward[record]].tolist()
    data = [
        f'{d},"facility":{_q(f"Trạm Y tế {w}")}}}' for d, w in zip(data, ward_names, strict=True)
    ]
    numbers = [f"VX-{c}-{y}-{s:08d}" for c, y, s in zip(codes, years, serial.tolist(), strict=True)]
    return _Kind(
        "vaccination",
        record,
        slot,
        numbers,
        ["valid"] * n,
        days,
        np.full(n, np.datetime64("NaT", "D")),
        data,
    )
