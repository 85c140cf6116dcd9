"""The 12-digit personal ID number (số định danh cá nhân) and the old 9-digit CMND.

Structure (Decree 137/2015 Art. 13, Circular 07/2016/TT-BCA Art. 7)::

    087 0 84 000999
    │   │ │  └─ digits 7-12: random serial
    │   │ └──── digits 5-6:  last two digits of the birth year
    │   └────── digit 4:     century and sex (0 male / 1 female 1900s, 2 / 3 2000s, … 8 / 9 2300s)
    └────────── digits 1-3:  province where the birth was registered

There is no check digit, so a mistyped digit can only be caught when it breaks
this structure (unknown province, birth year in the future). Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from http import HTTPStatus

from app.identity.provinces import PROVINCES
from app.models.enums import Sex
from app.problems import ProblemError

PERSONAL_ID_LENGTH = 12
LEGACY_ID_LENGTH = 9
FIRST_CENTURY = 1900  # century digits 0/1
LAST_CENTURY = 2300  # century digits 8/9

STRUCTURE = (
    "A personal ID has 12 digits: 3 for the province where the birth was registered, "
    "1 for century and sex (0/1 = male/female born 1900-1999, 2/3 = 2000-2099, "
    "4/5 = 2100s, 6/7 = 2200s, 8/9 = 2300s), 2 for the last digits of the birth year "
    "and 6 random digits."
)


class InvalidIdReason(StrEnum):
    LENGTH = "length"
    NON_DIGIT = "non_digit"
    UNKNOWN_PROVINCE = "unknown_province"
    IMPOSSIBLE_CENTURY = "impossible_century"


class InvalidPersonalIdError(ProblemError, ValueError):
    """The text is not a possible 12-digit personal ID; ``reason`` says which rule failed.

    A ``ValueError`` too, so pydantic validators that raise it produce a 422.
    """

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "INVALID_ID_FORMAT"  # DESIGN.md contract
    title = "Invalid ID format"

    def __init__(self, reason: InvalidIdReason, detail: str) -> None:
        super().__init__(detail, extensions={"reason": reason.value})
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PersonalId:
    number: str
    province_code: str
    century_digit: int
    sex: Sex
    birth_year: int
    serial: str

    @property
    def province_name(self) -> str:
        return PROVINCES[self.province_code]


def century_sex_digit(sex: Sex, birth_year: int) -> int:
    """Digit 4 of the personal ID of someone of this sex born in this year (1900-2399)."""
    if not FIRST_CENTURY <= birth_year < LAST_CENTURY + 100:
        raise ValueError(f"birth year {birth_year} is outside 1900-2399")
    return (birth_year // 100 - 19) * 2 + (sex is Sex.FEMALE)


def _problem(text: str, today: date) -> tuple[InvalidIdReason, str] | None:
    if not text:
        return InvalidIdReason.LENGTH, f"Got an empty value, expected 12 digits. {STRUCTURE}"
    if not (text.isascii() and text.isdigit()):
        position, character = next(
            (i, c) for i, c in enumerate(text, start=1) if not "0" <= c <= "9"
        )
        shown = character if character.isprintable() else f"U+{ord(character):04X}"
        return (
            InvalidIdReason.NON_DIGIT,
            f"Character {position} is {shown!r}, not a digit 0-9. {STRUCTURE}",
        )
    if len(text) != PERSONAL_ID_LENGTH:
        hint = " (9 digits is an old CMND number, not a personal ID)" if len(text) == 9 else ""
        return (
            InvalidIdReason.LENGTH,
            f"Got {len(text)} digits{hint}, expected 12. {STRUCTURE}",
        )
    if text[:3] not in PROVINCES:
        return (
            InvalidIdReason.UNKNOWN_PROVINCE,
            f"Digits 1-3 ({text[:3]}) are not one of the 63 province codes. {STRUCTURE}",
        )
    birth_year = FIRST_CENTURY + 100 * (int(text[3]) // 2) + int(text[4:6])
    if birth_year > today.year:
        return (
            InvalidIdReason.IMPOSSIBLE_CENTURY,
            f"Digit 4 ({text[3]}) and digits 5-6 ({text[4:6]}) give birth year {birth_year}, "
            f"which is in the future. {STRUCTURE}",
        )
    return None


def parse_personal_id(text: str, *, today: date | None = None) -> PersonalId:
    """Split a 12-digit personal ID into its parts; surrounding whitespace is ignored.

    Raises ``InvalidPersonalIdError`` (reason ``non_digit``, ``length``,
    ``unknown_province`` or ``impossible_century``, checked in that order).
    """
    number = text.strip()
    problem = _problem(number, today or date.today())
    if problem is not None:
        raise InvalidPersonalIdError(*problem)
    century_digit = int(number[3])
    return PersonalId(
        number=number,
        province_code=number[:3],
        century_digit=century_digit,
        sex=Sex.FEMALE if century_digit % 2 else Sex.MALE,
        birth_year=FIRST_CENTURY + 100 * (century_digit // 2) + int(number[4:6]),
        serial=number[6:],
    )


def is_valid_personal_id(text: str, *, today: date | None = None) -> bool:
    """Whether ``parse_personal_id`` would accept the text; never raises."""
    return _problem(text.strip(), today or date.today()) is None


def is_legacy_id(text: str) -> bool:
    """Whether the text (surrounding whitespace ignored) has the shape of a 9-digit CMND."""
    number = text.strip()
    return len(number) == LEGACY_ID_LENGTH and number.isascii() and number.isdigit()
