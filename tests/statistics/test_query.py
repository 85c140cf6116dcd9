"""The query rules on their own: categories, the fields a table needs, ages by date."""

from __future__ import annotations

from datetime import date

import pytest

from app.models.enums import CitizenField as F
from app.statistics.dimensions import AgeBands, Dimension, age_categories
from app.statistics.errors import TooManyCellsError
from app.statistics.query import Asked, check
from app.statistics.repository import years_before

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("day", "years", "before"),
    [
        (date(2026, 11, 22), 18, date(2008, 11, 22)),
        (date(2024, 2, 29), 17, date(2007, 2, 28)),  # a 29 February in a common year
        (date(2024, 2, 29), 20, date(2004, 2, 29)),
    ],
)
def test_years_before(day: date, years: int, before: date) -> None:
    assert years_before(day, years) == before


def test_age_bands_cover_every_age_once() -> None:
    assert [c.code for c in age_categories(AgeBands.BROAD)] == ["0-14", "15-24", "25-64", "65+"]
    five = [c.code for c in age_categories(AgeBands.FIVE)]
    assert five[:2] == ["0-4", "5-9"]
    assert five[-2:] == ["85-89", "90+"]
    assert len(five) == 19
    assert [c.code for c in age_categories(AgeBands.TEN)][-1] == "90+"


def test_filters_narrow_the_categories_of_places() -> None:
    checked = check(
        Asked(group_by=["ward,province"], filters={Dimension.PROVINCE: "094"}),
        today=TODAY,
        min_k=10,
    )
    (_, wards), (_, provinces) = checked.dimensions
    assert [c.code for c in provinces] == ["094"]
    assert "31645" in [c.code for c in wards]
    assert "unknown" not in [c.code for c in wards]
    assert next(c.label for c in wards if c.code == "31645").startswith("Thị trấn Đại Ngãi")


def test_unfiltered_places_include_unknown_and_every_province() -> None:
    checked = check(Asked(group_by=["province_2025"]), today=TODAY, min_k=10)
    [(_, provinces)] = checked.dimensions
    assert len(provinces) == 35
    assert provinces[-1].code == "unknown"


def test_the_fields_a_table_needs() -> None:
    asked = Asked(
        group_by=["ward_2025", "sex"],
        filters={Dimension.ETHNICITY: "Tày", Dimension.PROVINCE_2025: "79"},
        age_min=60,
    )
    checked = check(asked, today=TODAY, min_k=10)
    assert checked.fields == {F.PERMANENT_ADDRESS, F.SEX, F.ETHNICITY, F.BIRTH_DATE}
    dated = check(Asked(group_by=["sex"], as_of=date(2025, 1, 1)), today=TODAY, min_k=10)
    assert dated.fields == {F.SEX, F.BIRTH_DATE}
    today = check(Asked(group_by=["sex"], as_of=TODAY), today=TODAY, min_k=10)
    assert today.fields == {F.SEX}


def test_cells_are_counted_before_anything_is_read() -> None:
    with pytest.raises(TooManyCellsError) as raised:
        check(Asked(group_by=["ward"]), today=TODAY, min_k=10)
    assert raised.value.extensions == {"cells": 10036, "max_cells": 5000}
