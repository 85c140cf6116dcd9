"""Full names in Vietnamese order, per ethnic group, sex and birth cohort."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from seed.reference import (
    KinhNames,
    NamingStyle,
    ObjectArray,
    WeightedChoice,
    ethnic_groups,
    kinh_names,
    regional,
)

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def surnames(rng: np.random.Generator, group: IntArray, province: IntArray) -> ObjectArray:
    """A surname per element, from its ethnic group's distribution.

    Kinh surnames follow the national shares; Hoàng and Vũ are written Huỳnh and Võ
    with the regional probability of the southern spelling.
    """
    kinh = kinh_names()
    _, styles = ethnic_groups()
    out = np.empty(len(group), dtype=object)
    for g in np.unique(group).tolist():
        where = np.flatnonzero(group == g)
        table = styles[g].surnames
        if table is not None:
            out[where] = table.sample(rng, len(where))
            continue
        picks = kinh.surnames.draw(rng, len(where))
        southern = rng.random(len(where)) < regional().southern_spelling[province[where]]
        out[where] = np.where(southern, kinh.southern_variant[picks], kinh.surnames.values[picks])
    return out


def _traditional_share(birth_year: IntArray, is_male: BoolArray) -> npt.NDArray[np.float64]:
    # "Văn" and "Thị" were near-universal in older cohorts and are much rarer today.
    share_male = np.select([birth_year < 1975, birth_year < 2000], [0.6, 0.35], default=0.12)
    share_female = np.select([birth_year < 1975, birth_year < 2000], [0.8, 0.5], default=0.2)
    return np.where(is_male, share_male, share_female)


def _kinh_middle(
    rng: np.random.Generator, kinh: KinhNames, is_male: BoolArray, birth_year: IntArray
) -> ObjectArray:
    n = len(is_male)
    drawn = np.where(is_male, kinh.middle[1].sample(rng, n), kinh.middle[0].sample(rng, n)).astype(
        object
    )
    traditional = rng.random(n) < _traditional_share(birth_year, is_male)
    middle = np.where(
        traditional,
        np.where(is_male, kinh.traditional_middle[1], kinh.traditional_middle[0]),
        drawn,
    )
    # "Nguyễn Thị Thu Hà": women born since the 1960s often carry a second middle name.
    double = traditional & ~is_male & (birth_year >= 1960) & (rng.random(n) < 0.3)
    middle[double] = kinh.traditional_middle[0] + " " + drawn[double]
    return middle.astype(object)


def _by_sex(
    rng: np.random.Generator,
    choices: tuple[WeightedChoice | None, WeightedChoice | None],
    fallback: tuple[WeightedChoice, WeightedChoice],
    is_male: BoolArray,
) -> ObjectArray:
    n = len(is_male)
    female = (choices[0] or fallback[0]).sample(rng, n)
    male = (choices[1] or fallback[1]).sample(rng, n)
    return np.where(is_male, male, female).astype(object)


def given_and_middle(
    rng: np.random.Generator, group: IntArray, is_male: BoolArray, birth_year: IntArray
) -> tuple[ObjectArray, ObjectArray]:
    kinh = kinh_names()
    _, styles = ethnic_groups()
    middle = np.empty(len(group), dtype=object)
    given = np.empty(len(group), dtype=object)
    for g in np.unique(group).tolist():
        where = np.flatnonzero(group == g)
        style: NamingStyle = styles[g]
        sexes = is_male[where]
        if style.middle[0] is None and style.middle[1] is None:
            middle[where] = _kinh_middle(rng, kinh, sexes, birth_year[where])
        else:
            middle[where] = _by_sex(rng, style.middle, kinh.middle, sexes)
        given[where] = _by_sex(rng, style.given, kinh.given, sexes)
        # "Nguyễn Việt Việt": redraw a given name that repeats the last middle name.
        for _ in range(3):
            clash = np.flatnonzero(
                [
                    m.rsplit(" ", 1)[-1] == g
                    for m, g in zip(middle[where].tolist(), given[where].tolist(), strict=True)
                ]
            )
            if not len(clash):
                break
            given[where[clash]] = _by_sex(rng, style.given, kinh.given, sexes[clash])
    return middle, given


def join_name(first: str, second: str, third: str) -> str:
    """Join name parts, dropping empty ones; "H'" and "K'" prefixes bind to the next part."""
    text = ""
    for part in (first, second, third):
        if not part:
            continue
        text = text + part if (not text or text.endswith("'")) else text + " " + part
    return text


def full_names(
    surname: ObjectArray, middle: ObjectArray, given: ObjectArray, group: IntArray
) -> ObjectArray:
    _, styles = ethnic_groups()
    given_first = np.array([style.order == "prefix_given_family" for style in styles])[group]
    # The common case (surname, non-empty middle, given) in three vectorised concatenations.
    names: ObjectArray = surname + " " + middle + " " + given
    unusual = np.flatnonzero(
        given_first
        | (middle == "")
        | np.array([m.endswith("'") for m in middle.tolist()], dtype=bool)
    )
    for i in unusual.tolist():
        if given_first[i]:
            names[i] = join_name(middle[i], given[i], surname[i])
        else:
            names[i] = join_name(surname[i], middle[i], given[i])
    return names
