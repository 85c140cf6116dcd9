"""Addresses below the ward: house numbers and streets in towns, hamlets in the country."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from seed.reference import ObjectArray, places, provinces, wards

IntArray = npt.NDArray[np.int64]

HANOI = "001"
HO_CHI_MINH_CITY = "079"
# Where people with a temporary residence elsewhere live: the big cities and the
# industrial provinces around them draw most internal migrants.
MIGRATION_DESTINATIONS = {
    "079": 0.30, "001": 0.18, "074": 0.14, "075": 0.07, "027": 0.05, "048": 0.04,
    "031": 0.03, "092": 0.02, "056": 0.02, "077": 0.02, "080": 0.02, "026": 0.02,
}  # fmt: skip


def street_parts(rng: np.random.Generator, ward: IntArray) -> list[str]:
    """The part of an address below the ward, e.g. "Số 12, ngõ 45, phố Kim Mã"."""
    ward_table, place_table, province_table = wards(), places(), provinces()
    n = len(ward)
    urban = ward_table.is_urban[ward]
    province = ward_table.province[ward]
    region = province_table.regions[province]
    code = province_table.codes[province]
    house = rng.integers(1, 400, n).tolist()
    lane = rng.integers(2, 200, n).tolist()
    with_lane = (rng.random(n) < 0.45).tolist()
    street = place_table.streets[rng.integers(0, len(place_table.streets), n)].tolist()
    hamlet_number = rng.integers(1, 16, n).tolist()
    numbered_hamlet = (rng.random(n) < 0.35).tolist()
    pick = rng.random((n, 2))
    parts: list[str] = []
    for i in range(n):
        if urban[i]:
            street_word = "phố" if code[i] == HANOI else "đường"
            lane_word = (
                "ngõ" if code[i] == HANOI else "hẻm" if code[i] == HO_CHI_MINH_CITY else "kiệt"
            )
            if with_lane[i]:
                parts.append(f"Số {house[i]}, {lane_word} {lane[i]}, {street_word} {street[i]}")
            else:
                parts.append(f"Số {house[i]} {street_word} {street[i]}")
            continue
        words = place_table.hamlet_words[region[i]]
        word = words[int(pick[i, 0] * len(words))]
        if numbered_hamlet[i] and word in ("Thôn", "Xóm", "Ấp", "Khu phố"):
            parts.append(f"{word} {hamlet_number[i]}")
            continue
        names = (
            place_table.mountain_hamlet_names
            if word == "Bản"
            else place_table.highland_hamlet_names
            if word in ("Buôn", "Plei")
            else place_table.hamlet_names
        )
        parts.append(f"{word} {names[int(pick[i, 1] * len(names))]}")
    return parts


def draw_wards_by_population(rng: np.random.Generator, n: int) -> IntArray:
    province = rng.choice(len(provinces()), size=n, p=provinces().weights)
    return wards().draw_in(rng, province)


def draw_migration_wards(rng: np.random.Generator, n: int) -> IntArray:
    table = provinces()
    weights = table.weights * 0.15
    for code, share in MIGRATION_DESTINATIONS.items():
        weights[table.index[code]] += share
    province = rng.choice(len(table), size=n, p=weights / weights.sum())
    return wards().draw_in(rng, province)


def join(parts: list[str], ward_text: ObjectArray) -> list[str]:
    return [f"{part}, {text}" for part, text in zip(parts, ward_text.tolist(), strict=True)]
