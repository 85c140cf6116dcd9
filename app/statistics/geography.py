"""Provinces and wards of both unit systems, from the seeder's reference table.

A citizen's residence is stored as ward codes only: the pre-2025 (legacy) ward and the
2025 ward. Provinces are derived from them: the legacy ward codes of a province, and
the 2025 ones, come in a few contiguous runs, so a province is a ``CASE`` over those runs
(``repository.province``) rather than a join with a 10,000-row table.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from app.identity.provinces import PROVINCES

UNKNOWN = "unknown"  # no ward recorded in that unit system


@dataclass(frozen=True, slots=True)
class Place:
    """One legacy ward and the 2025 ward it became, with both provinces (or ``unknown``)."""

    province: str
    ward: str
    province_2025: str
    ward_2025: str


@dataclass(frozen=True, slots=True)
class Gazetteer:
    places: tuple[Place, ...]  # every combination a citizen's residence can take
    labels: Mapping[str, Mapping[str, str]]  # dimension → code → name
    legacy_runs: tuple[tuple[str, str], ...]  # (last legacy ward code of a run, province)
    runs_2025: tuple[tuple[str, str], ...]  # (last 2025 ward code of a run, 2025 province)


def _runs(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Sorted ward codes grouped into runs of one province: (last code of the run, province)."""
    runs: list[tuple[str, str]] = []
    for code, province in sorted(set(pairs)):
        if runs and runs[-1][1] == province:
            runs[-1] = (code, province)
        else:
            runs.append((code, province))
    return tuple(runs)


@cache
def gazetteer() -> Gazetteer:
    text = resources.files("seed.data").joinpath("wards.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(unicodedata.normalize("NFC", text).splitlines()))
    real = [
        Place(r["legacy_province_code"], r["legacy_ward_code"], r["province_code"], r["ward_code"])
        for r in rows
    ]
    # A residence recorded in one unit system only, or in none.
    wards_2025 = sorted({(p.province_2025, p.ward_2025) for p in real})
    legacy_only = [Place(p.province, p.ward, UNKNOWN, UNKNOWN) for p in real]
    only_2025 = [Place(UNKNOWN, UNKNOWN, province, ward) for province, ward in wards_2025]
    places = (*real, *legacy_only, *only_2025, Place(UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN))
    labels = {
        "province": dict(PROVINCES),
        "ward": {
            r["legacy_ward_code"]: f"{r['legacy_ward']}, {r['legacy_district']}, "
            f"{r['legacy_province']}"
            for r in rows
        },
        "province_2025": {r["province_code"]: r["province"] for r in rows},
        "ward_2025": {r["ward_code"]: f"{r['ward']}, {r['province']}" for r in rows},
    }
    return Gazetteer(
        places=places,
        labels=labels,
        legacy_runs=_runs((p.ward, p.province) for p in real),
        runs_2025=_runs((p.ward_2025, p.province_2025) for p in real),
    )


def codes_of(dimension: str, filters: Mapping[str, Iterable[str]]) -> list[str]:
    """The codes of a geographic dimension a citizen passing ``filters`` can have.

    ``filters`` maps geographic dimensions to the codes asked for. Sorted, ``unknown`` last.
    """
    key = tuple(sorted((name, tuple(sorted(set(codes)))) for name, codes in filters.items()))
    return list(_codes_of(dimension, key))


@lru_cache(maxsize=512)
def _codes_of(dimension: str, filters: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[str, ...]:
    wanted = [(name, set(codes)) for name, codes in filters]
    found = {
        getattr(place, dimension)
        for place in gazetteer().places
        if all(getattr(place, name) in codes for name, codes in wanted)
    }
    return tuple(sorted(found, key=lambda code: (code == UNKNOWN, code)))


def label(dimension: str, code: str) -> str:
    if code == UNKNOWN:
        return "not recorded in this unit system"
    return gazetteer().labels[dimension].get(code, code)


def known(dimension: str, code: str) -> bool:
    return code == UNKNOWN or code in gazetteer().labels[dimension]
