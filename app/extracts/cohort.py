"""A cohort filter made concrete: area codes checked and expanded to wards, ages to birth dates.

Areas match the citizen's ward codes (of the permanent or the current residence).
A pre-2025 province also covers residences registered since July 2025 in the 2025
units only, when their 2025 ward lies wholly in it; a pre-2025 ward matches the
pre-2025 ward code on record only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from app.extracts.areas import areas
from app.extracts.errors import UnknownAreaError, WardNotInProvinceError
from app.extracts.schemas import CohortFilter

VIETNAM = timezone(timedelta(hours=7), "ICT")  # no daylight saving time


@dataclass(frozen=True, slots=True)
class CohortQuery:
    residence: str  # column prefix: permanent | current
    wards: tuple[str, ...] | None = None  # 2025 ward codes
    legacy_wards: tuple[str, ...] | None = None  # pre-2025 ward codes
    wards_without_legacy: tuple[str, ...] = ()  # 2025 wards, for residences without old codes
    born_on_or_before: date | None = None
    born_after: date | None = None
    sex: str | None = None
    marital_status: str | None = None
    vital_status: str = "alive"
    limit: int | None = None


def today_in_vietnam() -> date:
    return datetime.now(UTC).astimezone(VIETNAM).date()


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def with_reference_date(cohort: CohortFilter) -> CohortFilter:
    if cohort.reference_date is not None:
        return cohort
    return cohort.model_copy(update={"reference_date": today_in_vietnam()})


def resolve(cohort: CohortFilter) -> CohortQuery:
    """The query for ``cohort`` (its reference date filled in); 422 for unknown areas."""
    reference = cohort.reference_date or today_in_vietnam()
    wards, legacy_wards, without_legacy = _area(cohort)
    return CohortQuery(
        residence=cohort.residence,
        wards=wards,
        legacy_wards=legacy_wards,
        wards_without_legacy=without_legacy,
        # Aged at least N on the reference day: born on or before that day N years back.
        born_on_or_before=(
            None if cohort.age_min is None else years_before(reference, cohort.age_min)
        ),
        # Aged at most N: not yet N + 1, born after that day N + 1 years back.
        born_after=None if cohort.age_max is None else years_before(reference, cohort.age_max + 1),
        sex=None if cohort.sex is None else cohort.sex.value,
        marital_status=None if cohort.marital_status is None else cohort.marital_status.value,
        vital_status=cohort.vital_status,
        limit=cohort.limit,
    )


def _area(
    cohort: CohortFilter,
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None, tuple[str, ...]]:
    units = areas()
    if cohort.province is not None and cohort.province not in units.provinces:
        raise UnknownAreaError(f"No 2025 province has the code {cohort.province!r}.")
    if cohort.legacy_province is not None and cohort.legacy_province not in units.legacy_provinces:
        raise UnknownAreaError(f"No pre-2025 province has the code {cohort.legacy_province!r}.")
    if cohort.ward is not None:
        province = units.ward_province.get(cohort.ward)
        if province is None:
            raise UnknownAreaError(f"No 2025 ward has the code {cohort.ward!r}.")
        if cohort.province is not None and province != cohort.province:
            raise WardNotInProvinceError(
                f"Ward {cohort.ward!r} lies in the 2025 province {province!r}, "
                f"not {cohort.province!r}."
            )
        if cohort.legacy_province is not None and cohort.ward not in set(
            units.wards_within_legacy.get(cohort.legacy_province, ())
        ):
            raise WardNotInProvinceError(
                f"The 2025 ward {cohort.ward!r} does not lie wholly in the pre-2025 province "
                f"{cohort.legacy_province!r}; filter by its 2025 province instead."
            )
        return (cohort.ward,), None, ()
    if cohort.legacy_ward is not None:
        province = units.legacy_ward_province.get(cohort.legacy_ward)
        if province is None:
            raise UnknownAreaError(f"No pre-2025 ward has the code {cohort.legacy_ward!r}.")
        expected = cohort.legacy_province
        if expected is not None and province != expected:
            raise WardNotInProvinceError(
                f"Ward {cohort.legacy_ward!r} lay in the pre-2025 province {province!r}, "
                f"not {expected!r}."
            )
        if cohort.province is not None:
            raise WardNotInProvinceError(
                "A pre-2025 ward goes with a pre-2025 province (legacy_province), not a 2025 one."
            )
        return None, (cohort.legacy_ward,), ()
    if cohort.province is not None:
        return units.provinces[cohort.province], None, ()
    if cohort.legacy_province is not None:
        code = cohort.legacy_province
        return None, units.legacy_provinces[code], units.wards_within_legacy.get(code, ())
    return None, None, ()
