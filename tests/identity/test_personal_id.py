"""The 12-digit personal ID: parsing, each way it can be invalid, the century digit, CMND shape."""

from datetime import date
from http import HTTPStatus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.identity.personal_id import (
    STRUCTURE,
    InvalidIdReason,
    InvalidPersonalIdError,
    PersonalId,
    century_sex_digit,
    is_legacy_id,
    is_valid_personal_id,
    parse_personal_id,
)
from app.identity.provinces import PROVINCES
from app.models.enums import Sex
from app.problems import ProblemError

TODAY = date(2026, 6, 1)


def test_facts_example_is_dong_thap_male_1984() -> None:
    parsed = parse_personal_id("087084000999", today=TODAY)

    assert parsed == PersonalId(
        number="087084000999",
        province_code="087",
        century_digit=0,
        sex=Sex.MALE,
        birth_year=1984,
        serial="000999",
    )
    assert parsed.province_name == "Đồng Tháp"


def test_mrz_example_card_is_bac_ninh_female_1992() -> None:
    parsed = parse_personal_id("027192010120", today=TODAY)

    assert (parsed.province_name, parsed.sex, parsed.birth_year) == ("Bắc Ninh", Sex.FEMALE, 1992)


def test_surrounding_whitespace_is_ignored() -> None:
    assert parse_personal_id("  001303123456\n", today=TODAY).number == "001303123456"


def test_born_this_century_female() -> None:
    parsed = parse_personal_id("079326000001", today=TODAY)

    assert (parsed.sex, parsed.birth_year, parsed.century_digit) == (Sex.FEMALE, 2026, 3)


@pytest.mark.parametrize(
    ("text", "reason", "in_detail"),
    [
        ("", InvalidIdReason.LENGTH, "empty"),
        ("08708400099", InvalidIdReason.LENGTH, "Got 11 digits"),
        ("0870840009990", InvalidIdReason.LENGTH, "Got 13 digits"),
        ("271450001", InvalidIdReason.LENGTH, "old CMND"),
        ("087 084 000 999", InvalidIdReason.NON_DIGIT, "Character 4 is ' '"),
        ("08708400099O", InvalidIdReason.NON_DIGIT, "Character 12 is 'O'"),
        ("０87084000999", InvalidIdReason.NON_DIGIT, "Character 1 is '０'"),
        ("087\x00084000999", InvalidIdReason.NON_DIGIT, "U+0000"),
        ("003084000999", InvalidIdReason.UNKNOWN_PROVINCE, "Digits 1-3 (003)"),
        ("097084000999", InvalidIdReason.UNKNOWN_PROVINCE, "63 province codes"),
        ("087227000999", InvalidIdReason.IMPOSSIBLE_CENTURY, "birth year 2027"),
        ("087399000999", InvalidIdReason.IMPOSSIBLE_CENTURY, "birth year 2099"),
        ("087400000999", InvalidIdReason.IMPOSSIBLE_CENTURY, "birth year 2100"),
        ("087999000999", InvalidIdReason.IMPOSSIBLE_CENTURY, "birth year 2399"),
    ],
)
def test_invalid_ids_say_why(text: str, reason: InvalidIdReason, in_detail: str) -> None:
    with pytest.raises(InvalidPersonalIdError) as caught:
        parse_personal_id(text, today=TODAY)

    error = caught.value
    assert error.reason is reason
    assert in_detail in error.detail
    assert error.detail.endswith(STRUCTURE)
    assert not is_valid_personal_id(text, today=TODAY)


def test_error_is_a_422_problem_and_a_value_error() -> None:
    with pytest.raises(InvalidPersonalIdError) as caught:
        parse_personal_id("12", today=TODAY)

    error = caught.value
    assert isinstance(error, ProblemError)
    assert isinstance(error, ValueError)
    assert error.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert error.code == "INVALID_ID_FORMAT"
    assert error.extensions == {"reason": "length"}


def test_non_digit_is_checked_before_length() -> None:
    with pytest.raises(InvalidPersonalIdError) as caught:
        parse_personal_id("abc", today=TODAY)

    assert caught.value.reason is InvalidIdReason.NON_DIGIT


def test_future_year_depends_on_today() -> None:
    assert not is_valid_personal_id("087227000999", today=date(2026, 12, 31))
    assert is_valid_personal_id("087227000999", today=date(2027, 1, 1))


def test_63_provinces_with_three_digit_codes() -> None:
    assert len(PROVINCES) == 63
    assert all(len(code) == 3 and code.isdigit() for code in PROVINCES)
    assert PROVINCES["001"] == "Hà Nội"
    assert PROVINCES["079"] == "TP Hồ Chí Minh"
    assert PROVINCES["096"] == "Cà Mau"
    with pytest.raises(TypeError):
        PROVINCES["100"] = "Nowhere"  # type: ignore[index]


@pytest.mark.parametrize(
    ("sex", "year", "digit"),
    [
        (Sex.MALE, 1900, 0),
        (Sex.FEMALE, 1999, 1),
        (Sex.MALE, 2000, 2),
        (Sex.FEMALE, 2099, 3),
        (Sex.MALE, 2100, 4),
        (Sex.FEMALE, 2250, 7),
        (Sex.FEMALE, 2399, 9),
    ],
)
def test_century_sex_digit(sex: Sex, year: int, digit: int) -> None:
    assert century_sex_digit(sex, year) == digit


@pytest.mark.parametrize("year", [1899, 2400])
def test_century_sex_digit_refuses_years_outside_the_scheme(year: int) -> None:
    with pytest.raises(ValueError, match="outside 1900-2399"):
        century_sex_digit(Sex.MALE, year)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("271450001", True),
        (" 012345678 ", True),
        ("01234567", False),
        ("0123456789", False),
        ("01234567a", False),
        ("０12345678", False),
        ("087084000999", False),
    ],
)
def test_is_legacy_id(text: str, expected: bool) -> None:
    assert is_legacy_id(text) is expected


@settings(database=None)
@given(
    province=st.sampled_from(sorted(PROVINCES)),
    sex=st.sampled_from(Sex),
    year=st.integers(1900, 2026),
    serial=st.from_regex(r"\A[0-9]{6}\Z"),
)
def test_built_ids_parse_back(province: str, sex: Sex, year: int, serial: str) -> None:
    number = f"{province}{century_sex_digit(sex, year)}{year % 100:02d}{serial}"

    parsed = parse_personal_id(number, today=TODAY)

    assert (parsed.province_code, parsed.sex, parsed.birth_year, parsed.serial) == (
        province,
        sex,
        year,
        serial,
    )


@settings(database=None)
@given(st.text())
def test_parse_raises_only_invalid_personal_id_error(text: str) -> None:
    if is_valid_personal_id(text, today=TODAY):
        assert parse_personal_id(text, today=TODAY).number == text.strip()
    else:
        with pytest.raises(InvalidPersonalIdError) as caught:
            parse_personal_id(text, today=TODAY)
        assert caught.value.reason in set(InvalidIdReason)
