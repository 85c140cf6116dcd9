"""Cohort filters made concrete: ages to birth-date bounds, areas to ward codes."""

from datetime import date

import pytest
from pydantic import ValidationError

from app.extracts.areas import areas
from app.extracts.cohort import resolve, with_reference_date, years_before
from app.extracts.errors import UnknownAreaError, WardNotInProvinceError
from app.extracts.schemas import CohortFilter


def test_a_birthday_on_29_february_counts_from_28_february_in_other_years() -> None:
    assert years_before(date(2026, 11, 22), 75) == date(1951, 11, 22)
    assert years_before(date(2028, 2, 29), 3) == date(2025, 2, 28)
    assert years_before(date(2028, 2, 29), 4) == date(2024, 2, 29)


def test_ages_become_birth_date_bounds_on_the_reference_day() -> None:
    query = resolve(CohortFilter(age_min=75, age_max=79, reference_date=date(2026, 11, 22)))
    # 75 today: born on or before 22 Nov 1951; not yet 80: born after 22 Nov 1946.
    assert query.born_on_or_before == date(1951, 11, 22)
    assert query.born_after == date(1946, 11, 22)
    assert query.vital_status == "alive"


def test_the_reference_day_defaults_to_today_in_vietnam() -> None:
    filled = with_reference_date(CohortFilter(age_min=60))
    assert filled.reference_date is not None
    assert with_reference_date(CohortFilter(reference_date=date(2020, 1, 1))).reference_date == (
        date(2020, 1, 1)
    )


def test_a_2025_province_expands_to_its_2025_wards() -> None:
    query = resolve(CohortFilter(province="12"))
    assert query.wards == areas().provinces["12"]
    assert "03388" in query.wards
    assert query.legacy_wards is None


def test_a_pre_2025_province_also_covers_2025_wards_wholly_inside_it() -> None:
    query = resolve(CohortFilter(legacy_province="012", residence="current"))
    assert query.residence == "current"
    assert query.legacy_wards is not None
    assert "03386" in query.legacy_wards
    assert "03388" in query.wards_without_legacy
    # Hà Giang and Tuyên Quang became one 2025 province; a pre-2025 province of a merger
    # still covers only its own former wards.
    merged = resolve(CohortFilter(legacy_province="002"))
    assert merged.legacy_wards is not None
    assert set(merged.legacy_wards).isdisjoint(areas().legacy_provinces["008"])


@pytest.mark.parametrize(
    ("cohort", "error", "words"),
    [
        ({"province": "99"}, UnknownAreaError, "No 2025 province"),
        ({"legacy_province": "003"}, UnknownAreaError, "No pre-2025 province"),
        ({"ward": "99999"}, UnknownAreaError, "No 2025 ward"),
        ({"legacy_ward": "99999"}, UnknownAreaError, "No pre-2025 ward"),
        ({"province": "79", "ward": "03388"}, WardNotInProvinceError, "lies in the 2025 province"),
        ({"legacy_province": "001", "legacy_ward": "03386"}, WardNotInProvinceError, "'012'"),
        ({"province": "12", "legacy_ward": "03386"}, WardNotInProvinceError, "pre-2025 province"),
    ],
)
def test_unknown_or_mismatched_areas_are_refused_with_their_code(
    cohort: dict[str, str], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        resolve(CohortFilter.model_validate(cohort))


@pytest.mark.parametrize(
    "cohort",
    [
        {"province": "12", "legacy_province": "012"},
        {"ward": "03388", "legacy_ward": "03386"},
        {"age_min": 80, "age_max": 70},
        {"age_min": -1},
        {"province": "012"},
        {"reference_date": "1800-01-01"},
        {"vital_status": "asleep"},
        {"limit": 0},
        {"town": "Lai Châu"},
    ],
)
def test_inconsistent_or_malformed_filters_fail_validation(cohort: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CohortFilter.model_validate(cohort)
