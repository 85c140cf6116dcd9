"""Reference data of the synthetic population, loaded once from ``seed/data``.

Every table is turned into numpy arrays so that a batch of citizens is drawn with a
handful of vectorised look-ups instead of a Python loop per person.
"""

from __future__ import annotations

import csv
import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

ObjectArray = npt.NDArray[np.object_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _read_text(name: str) -> str:
    # Names and places are stored, compared and hashed in NFC; make sure of it here.
    text = resources.files("seed.data").joinpath(name).read_text(encoding="utf-8")
    return unicodedata.normalize("NFC", text)


def _read_csv(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(_read_text(name).splitlines()))


def _read_json(name: str) -> Any:
    return json.loads(_read_text(name))


def objects(values: list[str] | tuple[str, ...]) -> ObjectArray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


@dataclass(frozen=True, slots=True)
class WeightedChoice:
    """Values with relative weights; ``draw`` returns indices into ``values``."""

    values: ObjectArray
    cumulative: FloatArray

    @classmethod
    def of(cls, weights: dict[str, float]) -> WeightedChoice:
        total = float(sum(weights.values()))
        cumulative = np.cumsum(np.array(list(weights.values()), dtype=np.float64)) / total
        cumulative[-1] = 1.0
        return cls(objects(list(weights)), cumulative)

    def draw(self, rng: np.random.Generator, size: int) -> IntArray:
        picks: IntArray = np.searchsorted(self.cumulative, rng.random(size), side="right")
        return picks

    def sample(self, rng: np.random.Generator, size: int) -> ObjectArray:
        return self.values[self.draw(rng, size)]


@dataclass(frozen=True, slots=True)
class Provinces:
    """The 63 provinces before July 2025, in code order."""

    codes: ObjectArray  # "001"
    names: ObjectArray
    regions: ObjectArray
    weights: FloatArray  # share of the population
    cmnd_prefixes: ObjectArray  # issuing-office prefix of the 9-digit CMND
    native_shares: FloatArray  # share of households whose family comes from the province
    index: dict[str, int]

    def __len__(self) -> int:
        return len(self.codes)


@dataclass(frozen=True, slots=True)
class Wards:
    """Legacy wards (3-level units) with their 2025 unit, grouped by province."""

    legacy_codes: ObjectArray
    legacy_names: ObjectArray
    is_urban: BoolArray  # Phường / Thị trấn, as opposed to a rural Xã
    province: IntArray  # index into Provinces
    codes_2025: ObjectArray
    legacy_text: ObjectArray  # "Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội"
    text_2025: ObjectArray  # "Phường Hồng Hà, Thành phố Hà Nội"
    province_start: IntArray
    province_count: IntArray
    index: dict[str, int]

    def __len__(self) -> int:
        return len(self.legacy_codes)

    def draw_in(self, rng: np.random.Generator, province: IntArray) -> IntArray:
        """A uniformly drawn ward inside each given province."""
        offsets = (rng.random(len(province)) * self.province_count[province]).astype(np.int64)
        return self.province_start[province] + offsets


@cache
def provinces() -> Provinces:
    rows = _read_csv("provinces.csv")
    population = np.array([float(r["population_thousands"]) for r in rows])
    return Provinces(
        codes=objects([r["code"] for r in rows]),
        names=objects([r["name"] for r in rows]),
        regions=objects([r["region"] for r in rows]),
        weights=population / population.sum(),
        cmnd_prefixes=objects([r["cmnd_prefix"] for r in rows]),
        native_shares=np.array([float(r["native_share"]) for r in rows]),
        index={r["code"]: i for i, r in enumerate(rows)},
    )


@cache
def wards() -> Wards:
    province_index = provinces().index
    rows = sorted(
        _read_csv("wards.csv"),
        key=lambda r: (province_index[r["legacy_province_code"]], r["legacy_ward_code"]),
    )
    province = np.array([province_index[r["legacy_province_code"]] for r in rows], dtype=np.int64)
    count = np.bincount(province, minlength=len(province_index)).astype(np.int64)
    start = np.concatenate(([0], np.cumsum(count)[:-1])).astype(np.int64)
    return Wards(
        legacy_codes=objects([r["legacy_ward_code"] for r in rows]),
        legacy_names=objects([r["legacy_ward"] for r in rows]),
        is_urban=np.array([r["legacy_ward_type"] != "Xã" for r in rows]),
        province=province,
        codes_2025=objects([r["ward_code"] for r in rows]),
        legacy_text=objects(
            [f"{r['legacy_ward']}, {r['legacy_district']}, {r['legacy_province']}" for r in rows]
        ),
        text_2025=objects([f"{r['ward']}, {r['province']}" for r in rows]),
        province_start=start,
        province_count=count,
        index={r["legacy_ward_code"]: i for i, r in enumerate(rows)},
    )


@dataclass(frozen=True, slots=True)
class NamingStyle:
    """How one ethnic group composes a full name; ``None`` lists fall back to Kinh ones."""

    order: str  # "surname_first" or "prefix_given_family"
    surnames: WeightedChoice | None
    middle: tuple[WeightedChoice | None, WeightedChoice | None]  # (female, male)
    given: tuple[WeightedChoice | None, WeightedChoice | None]


@dataclass(frozen=True, slots=True)
class KinhNames:
    surnames: WeightedChoice
    southern_variant: ObjectArray  # per surname index: the southern spelling or the same
    middle: tuple[WeightedChoice, WeightedChoice]  # (female, male)
    given: tuple[WeightedChoice, WeightedChoice]
    traditional_middle: tuple[str, str]


@cache
def kinh_names() -> KinhNames:
    surname_rows = _read_csv("surnames.csv")
    names = _read_json("names.json")
    female, male = names["female"], names["male"]
    return KinhNames(
        surnames=WeightedChoice.of({r["surname"]: float(r["weight"]) for r in surname_rows}),
        southern_variant=objects([r["southern_variant"] or r["surname"] for r in surname_rows]),
        middle=(WeightedChoice.of(female["middle"]), WeightedChoice.of(male["middle"])),
        given=(WeightedChoice.of(female["given"]), WeightedChoice.of(male["given"])),
        traditional_middle=(female["traditional_middle"], male["traditional_middle"]),
    )


def _optional_choice(spec: dict[str, Any], key: str) -> WeightedChoice | None:
    return WeightedChoice.of(spec[key]) if key in spec else None


@cache
def ethnic_groups() -> tuple[ObjectArray, tuple[NamingStyle, ...]]:
    """Group names (index 0 is Kinh) and their naming styles."""
    groups: dict[str, Any] = _read_json("ethnic_groups.json")["groups"]
    styles = tuple(
        NamingStyle(
            order=spec["style"],
            surnames=_optional_choice(spec, "surnames"),
            middle=(
                _optional_choice(spec, "female_middle"),
                _optional_choice(spec, "male_middle"),
            ),
            given=(_optional_choice(spec, "female_given"), _optional_choice(spec, "male_given")),
        )
        for spec in groups.values()
    )
    return objects(list(groups)), styles


@dataclass(frozen=True, slots=True)
class Regional:
    """Ethnic mix and religion weights per province, as index-based draws."""

    ethnic_mix: tuple[WeightedChoice, ...]  # per province, values are group indices (int)
    religions: ObjectArray
    religion_cumulative: dict[tuple[int, int], FloatArray]  # (province, group) → cumulative
    southern_spelling: FloatArray  # per province


@cache
def regional() -> Regional:
    data = _read_json("regional.json")
    group_names, _ = ethnic_groups()
    group_index = {name: i for i, name in enumerate(group_names)}
    province_table = provinces()
    mixes = []
    for code in province_table.codes:
        mix: dict[str, float] = data["ethnic_mix"].get(code, data["default_ethnic_mix"])
        choice = WeightedChoice.of(mix)
        indices = np.array([group_index[name] for name in choice.values], dtype=object)
        mixes.append(WeightedChoice(indices, choice.cumulative))
    national: dict[str, float] = data["national_religion_weights"]
    religions = list(national)
    cumulative: dict[tuple[int, int], FloatArray] = {}
    for p, code in enumerate(province_table.codes):
        for g, group in enumerate(group_names):
            weights = dict(national)
            weights.update(data["religion_weights"].get(code, {}))
            weights.update(data["ethnic_religion_weights"].get(group, {}))
            cumulative[(p, g)] = WeightedChoice.of({r: weights[r] for r in religions}).cumulative
    spelling = data["southern_spelling"]
    return Regional(
        ethnic_mix=tuple(mixes),
        religions=objects(religions),
        religion_cumulative=cumulative,
        southern_spelling=np.array([spelling[r] for r in province_table.regions]),
    )


@cache
def mobile_prefixes() -> WeightedChoice:
    return WeightedChoice.of(
        {r["prefix"]: float(r["weight"]) for r in _read_csv("mobile_prefixes.csv")}
    )


@cache
def blood_types() -> WeightedChoice:
    return WeightedChoice.of(
        {r["blood_type"]: float(r["weight"]) for r in _read_csv("blood_types.csv")}
    )


@dataclass(frozen=True, slots=True)
class Places:
    streets: ObjectArray
    hamlet_names: ObjectArray
    mountain_hamlet_names: ObjectArray
    highland_hamlet_names: ObjectArray
    hamlet_words: dict[str, ObjectArray]
    foreign_countries: ObjectArray


@cache
def places() -> Places:
    data = _read_json("places.json")
    return Places(
        streets=objects(data["streets"]),
        hamlet_names=objects(data["hamlet_names"]),
        mountain_hamlet_names=objects(data["mountain_hamlet_names"]),
        highland_hamlet_names=objects(data["highland_hamlet_names"]),
        hamlet_words={region: objects(words) for region, words in data["hamlet_word"].items()},
        foreign_countries=objects(data["foreign_countries"]),
    )
