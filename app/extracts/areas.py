"""Provinces and wards in both unit systems, for cohort filters (from ``seed/data/wards.csv``).

Pre-July-2025 units: 63 provinces with 3-digit codes (those of the personal ID) and
their wards; 2025 units (Resolution 202/2025/QH15): 34 provinces with 2-digit codes
and their wards. Each pre-2025 ward maps to one 2025 ward.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Areas:
    # 2025 province code → its wards (2025 codes); 2025 ward → its province
    provinces: dict[str, tuple[str, ...]]
    ward_province: dict[str, str]
    # pre-2025 province code → its wards (pre-2025 codes); pre-2025 ward → its province
    legacy_provinces: dict[str, tuple[str, ...]]
    legacy_ward_province: dict[str, str]
    # pre-2025 province → the 2025 wards made only of its own former wards
    wards_within_legacy: dict[str, tuple[str, ...]]


@cache
def areas() -> Areas:
    text = resources.files("seed.data").joinpath("wards.csv").read_text(encoding="utf-8")
    provinces: dict[str, set[str]] = defaultdict(set)
    legacy_provinces: dict[str, set[str]] = defaultdict(set)
    ward_province: dict[str, str] = {}
    legacy_ward_province: dict[str, str] = {}
    sources: dict[str, set[str]] = defaultdict(set)  # 2025 ward → pre-2025 provinces
    for row in csv.DictReader(text.splitlines()):
        provinces[row["province_code"]].add(row["ward_code"])
        ward_province[row["ward_code"]] = row["province_code"]
        legacy_provinces[row["legacy_province_code"]].add(row["legacy_ward_code"])
        legacy_ward_province[row["legacy_ward_code"]] = row["legacy_province_code"]
        sources[row["ward_code"]].add(row["legacy_province_code"])
    within: dict[str, set[str]] = defaultdict(set)
    for ward, origins in sources.items():
        if len(origins) == 1:
            within[next(iter(origins))].add(ward)
    return Areas(
        provinces={code: tuple(sorted(wards)) for code, wards in provinces.items()},
        ward_province=ward_province,
        legacy_provinces={code: tuple(sorted(wards)) for code, wards in legacy_provinces.items()},
        legacy_ward_province=legacy_ward_province,
        wards_within_legacy={code: tuple(sorted(wards)) for code, wards in within.items()},
    )
