"""Digit-string fields: the personal ID (or old CMND), the mobile number, and sex codes."""

from __future__ import annotations

import unicodedata

from app.identity.matching.text import strip_diacritics
from app.identity.matching.verdicts import FIXED, NOT_PROVIDED, FieldMatch, Reason
from app.identity.personal_id import LEGACY_ID_LENGTH, PERSONAL_ID_LENGTH, is_valid_personal_id
from app.models.enums import Sex

MAX_CODE_LENGTH = 64
# Written between digit groups by people and legacy exports: "087 084 000 999", "+84 (91) 234-5678".
_SEPARATORS = str.maketrans("", "", " .-/()+")


def one_digit_off(claimed: str, registered: str) -> bool:
    """Same length, and exactly one position differs or two adjacent digits are swapped."""
    if len(claimed) != len(registered) or claimed == registered:
        return False
    differ = [i for i, (a, b) in enumerate(zip(claimed, registered, strict=True)) if a != b]
    if len(differ) == 1:
        return True
    if len(differ) == 2 and differ[1] == differ[0] + 1:
        i = differ[0]
        return claimed[i] == registered[i + 1] and claimed[i + 1] == registered[i]
    return False


def _digits(text: str) -> str | None:
    """The ASCII digits of a number written with separators, or None if anything else is there."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)  # full-width digits, odd spaces
    digits = "".join(text.split()).translate(_SEPARATORS)
    return digits if digits.isascii() and digits.isdigit() else None


def match_personal_id(
    claimed: str | None, registered: str, legacy_id: str | None = None
) -> FieldMatch:
    """Compare a claimed 12-digit personal ID, or an old 9-digit CMND, with the registry's."""
    if claimed is None:
        return NOT_PROVIDED
    if not isinstance(claimed, str):
        return FIXED[Reason.INVALID_FORMAT]
    if claimed == registered and claimed:
        return FIXED[Reason.EXACT]
    if not claimed.strip():
        return NOT_PROVIDED
    digits = _digits(claimed) if len(claimed) <= MAX_CODE_LENGTH else None
    if digits is None:
        return FIXED[Reason.INVALID_FORMAT]
    if len(digits) == PERSONAL_ID_LENGTH:
        if digits == registered:
            return FIXED[Reason.FORMAT]
        if one_digit_off(digits, registered):
            return FIXED[Reason.WRONG_DIGIT]
        if not is_valid_personal_id(digits):
            return FIXED[Reason.INVALID_FORMAT]
        return FIXED[Reason.DIFFERENT]
    if len(digits) == LEGACY_ID_LENGTH:
        if legacy_id and digits == legacy_id:
            return FIXED[Reason.LEGACY_ID]
        if legacy_id and one_digit_off(digits, legacy_id):
            return FIXED[Reason.WRONG_DIGIT]
        return FIXED[Reason.DIFFERENT]
    return FIXED[Reason.INVALID_FORMAT]


def normalise_phone(text: str) -> str | None:
    """A Vietnamese mobile number as 10 digits starting with 0, or None if it is not one.

    Accepts separators and spaces, ``+84``/``84``/``0084`` (with or without the
    trunk 0 after it), and 9 digits whose leading 0 a spreadsheet dropped.
    """
    if len(text) > MAX_CODE_LENGTH:
        return None
    digits = _digits(text)
    if digits is None:
        return None
    if digits.startswith("0084"):
        digits = digits[4:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = digits[2:]
    if len(digits) == 9 and not digits.startswith("0"):
        digits = "0" + digits
    return digits if len(digits) == 10 and digits.startswith("0") else None


def match_phone(claimed: str | None, registered: str | None) -> FieldMatch:
    """Compare a claimed mobile number with the registered one, whatever its notation."""
    if claimed is None:
        return NOT_PROVIDED
    if not isinstance(claimed, str):
        return FIXED[Reason.INVALID_FORMAT]
    if claimed == registered and claimed:
        return FIXED[Reason.EXACT]
    if not claimed.strip():
        return NOT_PROVIDED
    number = normalise_phone(claimed)
    if number is None:
        return FIXED[Reason.INVALID_FORMAT]
    if not registered:
        return FIXED[Reason.NOT_ON_RECORD]
    on_record = normalise_phone(registered)
    if on_record is None:
        return FIXED[Reason.DIFFERENT]
    if number == on_record:
        return FIXED[Reason.FORMAT]
    if one_digit_off(number, on_record):
        return FIXED[Reason.WRONG_DIGIT]
    return FIXED[Reason.DIFFERENT]


_SEXES = {
    "male": Sex.MALE,
    "m": Sex.MALE,
    "nam": Sex.MALE,
    "female": Sex.FEMALE,
    "f": Sex.FEMALE,
    "nu": Sex.FEMALE,  # nữ
}


def match_sex(claimed: str | None, registered: Sex) -> FieldMatch:
    """Compare a claimed sex: male/female, M/F or Nam/Nữ, in any case, with or without marks."""
    if claimed is None:
        return NOT_PROVIDED
    if not isinstance(claimed, str) or len(claimed) > MAX_CODE_LENGTH:
        return FIXED[Reason.INVALID_FORMAT]
    key = strip_diacritics(" ".join(claimed.split()).casefold())
    if not key:
        return NOT_PROVIDED
    sex = _SEXES.get(key)
    if sex is None:
        return FIXED[Reason.INVALID_FORMAT]
    return FIXED[Reason.EXACT if sex == registered else Reason.DIFFERENT]
