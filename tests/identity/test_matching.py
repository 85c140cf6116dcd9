"""Per-field matching: every row of the decision table, precedence, and properties."""

import random
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from app.identity.matching import (
    DECISION_TABLE,
    TYPO_THRESHOLD,
    FieldMatch,
    Reason,
    Verdict,
    match_birth_date,
    match_name,
    match_personal_id,
    match_phone,
    match_sex,
    match_text,
    normalise_name,
    normalise_phone,
    one_digit_off,
    overall_decision,
    parse_claimed_date,
    similarity,
    strip_diacritics,
)
from app.identity.personal_id import century_sex_digit
from app.identity.provinces import PROVINCES
from app.models.enums import BirthDatePrecision, Sex

HA = "Nguyễn Thị Thu Hà"
DUC = "Trần Văn Đức"
ADDRESS = "Số 12 ngõ 3, Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội"
BORN = date(1990, 3, 15)
ID = "087084000999"
CMND = "271450123"
PHONE = "0912345678"
FULL = BirthDatePrecision.FULL
YEAR = BirthDatePrecision.YEAR
NO_DB = settings(database=None)

M, X, MISSING = Verdict.MATCH, Verdict.MISMATCH, Verdict.MISSING


def answer(verdict: Verdict, score: int, reason: Reason) -> FieldMatch:
    return FieldMatch(verdict, score, reason)


# --- names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claimed", "registered", "expected"),
    [
        pytest.param(HA, HA, answer(M, 100, Reason.EXACT), id="exact"),
        pytest.param(
            unicodedata.normalize("NFD", HA), HA, answer(M, 98, Reason.UNICODE_FORM), id="nfd"
        ),
        pytest.param(
            "ＮＧＵＹＥＮ ＴＨＩ ＴＨＵ ＨＡ",
            "NGUYEN THI THU HA",
            answer(M, 98, Reason.UNICODE_FORM),
            id="full-width",
        ),
        pytest.param(
            " Nguyễn\u00a0 Thị\tThu Hà\n", HA, answer(M, 99, Reason.WHITESPACE), id="spaces"
        ),
        pytest.param(
            "Nguyễn Thị Thu\u200b Hà\x00", HA, answer(M, 99, Reason.WHITESPACE), id="invisible"
        ),
        pytest.param("NGUYỄN THỊ THU HÀ", HA, answer(M, 95, Reason.CASE), id="upper"),
        pytest.param("nguyễn thị thu hà", HA, answer(M, 95, Reason.CASE), id="lower"),
        pytest.param("ÐỨC", "Đức", answer(M, 95, Reason.CASE), id="eth-looks-like-dj"),
        pytest.param("Nguyen Thi Thu Ha", HA, answer(M, 90, Reason.DIACRITICS), id="stripped"),
        pytest.param("Tran Van Duc", DUC, answer(M, 90, Reason.DIACRITICS), id="dj-stripped"),
        pytest.param("Nguyễn Thi Thu Ha", HA, answer(M, 90, Reason.DIACRITICS), id="partly"),
        pytest.param(
            "Nguyễn Thị Thu Hà",
            "Nguyen Thi Thu Ha",
            answer(M, 90, Reason.DIACRITICS),
            id="registry-stripped",
        ),
        pytest.param("Hà Thu Thị Nguyễn", HA, answer(M, 80, Reason.WORD_ORDER), id="reversed"),
        pytest.param("Hà Nguyễn Thị Thu", HA, answer(M, 80, Reason.WORD_ORDER), id="western"),
        pytest.param("Nguyen Thi Thu Haa", HA, answer(X, 97, Reason.TYPO), id="typo"),
        pytest.param("Nguyễn Thị Thu Hạ", HA, answer(X, 94, Reason.TYPO), id="other-tone"),
        pytest.param("Nguyên Thị Thu Hà", HA, answer(X, 94, Reason.TYPO), id="lost-tone-only"),
        pytest.param("Nguyen Thi Ha", HA, answer(X, 86, Reason.TYPO), id="missing-word"),
        pytest.param("Trần Văn Được", DUC, answer(X, 88, Reason.TYPO), id="duoc-not-duc"),
        pytest.param("Huynh Tan Phat", "Hoàng Tấn Phát", answer(X, 78, Reason.DIFFERENT)),
        pytest.param(DUC, HA, answer(X, 20, Reason.DIFFERENT), id="different"),
        pytest.param("😀", HA, answer(X, 0, Reason.DIFFERENT), id="emoji"),
        pytest.param(None, HA, answer(MISSING, 0, Reason.NOT_PROVIDED), id="none"),
        pytest.param("", HA, answer(MISSING, 0, Reason.NOT_PROVIDED), id="empty"),
        pytest.param(" \t\u3000", HA, answer(MISSING, 0, Reason.NOT_PROVIDED), id="blank"),
        pytest.param("\x00\u200b", HA, answer(MISSING, 0, Reason.NOT_PROVIDED), id="invisible"),
        pytest.param("a" * 1001, "a" * 1001, answer(M, 100, Reason.EXACT), id="long-same"),
        pytest.param("A" * 1001, "a" * 1001, answer(X, 0, Reason.DIFFERENT), id="too-long"),
    ],
)
def test_match_name(claimed: str | None, registered: str, expected: FieldMatch) -> None:
    assert match_name(claimed, registered) == expected


@pytest.mark.parametrize(
    ("claimed", "reason"),
    [
        # Several differences at once: the most significant one is reported.
        (unicodedata.normalize("NFD", "  nguyễn thị  thu hà "), Reason.CASE),
        (unicodedata.normalize("NFD", " Nguyễn  Thị Thu Hà"), Reason.UNICODE_FORM),
        (unicodedata.normalize("NFD", "NGUYEN  THI THU HA"), Reason.DIACRITICS),
        ("HA  NGUYEN THI THU", Reason.WORD_ORDER),
        ("HA NGUYEN THI THUU", Reason.TYPO),
    ],
)
def test_the_most_significant_difference_is_reported(claimed: str, reason: Reason) -> None:
    assert match_name(claimed, HA).reason is reason


def test_similarity_ignores_marks_only_when_one_side_has_none() -> None:
    assert similarity("NGUYEN THI THU HA", HA) == 100
    assert similarity("Nguyễn Thị Thu Hạ", HA) == 94
    assert similarity("x" * 1001, HA) == 0


# --- normalisation -------------------------------------------------------------------


def test_normalise_name() -> None:
    raw = unicodedata.normalize("NFD", "  NGUYỄN\u00a0 THỊ\u200b  Thu Hà \n")

    assert normalise_name(raw) == "nguyễn thị thu hà"
    assert unicodedata.is_normalized("NFC", normalise_name(raw))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nguyễn Thị Thu Hà", "Nguyen Thi Thu Ha"),
        ("Trần Văn Đức", "Tran Van Duc"),
        ("ĐẶNG đặng", "DANG dang"),
        ("ăâêôơư ĂÂÊÔƠƯ", "aaeoou AAEOOU"),
        ("àáảãạ ằắẳẵặ ầấẩẫậ", "aaaaa aaaaa aaaaa"),
        ("ỳýỷỹỵ", "yyyyy"),
        (unicodedata.normalize("NFD", "Phạm Huỳnh Vũ"), "Pham Huynh Vu"),
        ("Ksor H'Bia", "Ksor H'Bia"),
        ("Zoë Ångström façade", "Zoe Angstrom facade"),
        ("한국 東京 Москва́", "한국 東京 Москва"),
        ("q\u0323\u0301", "q"),
        ("", ""),
    ],
)
def test_strip_diacritics(text: str, expected: str) -> None:
    assert strip_diacritics(text) == expected


# --- birth dates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claimed", "registered", "precision", "expected"),
    [
        pytest.param("1990-03-15", BORN, FULL, answer(M, 100, Reason.EXACT), id="iso"),
        pytest.param("15/03/1990", BORN, FULL, answer(M, 100, Reason.EXACT), id="vn"),
        pytest.param(" 15.3.1990 ", BORN, FULL, answer(M, 100, Reason.EXACT), id="dots"),
        pytest.param("15-03-1990", BORN, FULL, answer(M, 100, Reason.EXACT), id="dashes"),
        pytest.param("1990/03/15", BORN, FULL, answer(M, 100, Reason.EXACT), id="ymd-slash"),
        pytest.param(
            "１５/０３/１９９０", BORN, FULL, answer(M, 100, Reason.EXACT), id="full-width"
        ),
        pytest.param(BORN, BORN, FULL, answer(M, 100, Reason.EXACT), id="date"),
        pytest.param(datetime(1990, 3, 15, 8), BORN, FULL, answer(M, 100, Reason.EXACT)),
        pytest.param("1990", date(1990, 1, 1), YEAR, answer(M, 100, Reason.EXACT), id="years"),
        pytest.param("15/03/1990", date(1990, 1, 1), YEAR, answer(M, 80, Reason.YEAR_ONLY)),
        pytest.param("01/01/1990", date(1990, 1, 1), YEAR, answer(M, 80, Reason.YEAR_ONLY)),
        pytest.param(BORN, date(1990, 1, 1), YEAR, answer(M, 80, Reason.YEAR_ONLY)),
        pytest.param("1990", BORN, FULL, answer(M, 80, Reason.YEAR_ONLY), id="claimed-year"),
        pytest.param("03/15/1990", BORN, FULL, answer(X, 90, Reason.DAY_MONTH_SWAPPED), id="us"),
        pytest.param("1990-15-03", BORN, FULL, answer(X, 90, Reason.DAY_MONTH_SWAPPED)),
        pytest.param(
            "04/05/2001",
            date(2001, 4, 5),
            FULL,
            answer(X, 90, Reason.DAY_MONTH_SWAPPED),
            id="both-valid",
        ),
        pytest.param("16/03/1990", BORN, FULL, answer(X, 90, Reason.WRONG_DIGIT), id="day"),
        pytest.param("15/03/1991", BORN, FULL, answer(X, 90, Reason.WRONG_DIGIT), id="year"),
        pytest.param("15/03/1909", BORN, FULL, answer(X, 90, Reason.WRONG_DIGIT), id="swap"),
        pytest.param("1980", date(1990, 1, 1), YEAR, answer(X, 90, Reason.WRONG_DIGIT)),
        pytest.param("1991", BORN, FULL, answer(X, 90, Reason.WRONG_DIGIT), id="year-only"),
        pytest.param("20/07/1985", BORN, FULL, answer(X, 0, Reason.DIFFERENT), id="different"),
        pytest.param("2000", date(1990, 1, 1), YEAR, answer(X, 0, Reason.DIFFERENT)),
        pytest.param("31/02/1990", BORN, FULL, answer(X, 0, Reason.INVALID_FORMAT)),
        pytest.param("15/03/90", BORN, FULL, answer(X, 0, Reason.INVALID_FORMAT), id="yy"),
        pytest.param("1990-03/15", BORN, FULL, answer(X, 0, Reason.INVALID_FORMAT), id="mixed"),
        pytest.param("19900315", BORN, FULL, answer(X, 0, Reason.INVALID_FORMAT), id="compact"),
        pytest.param("1990-03-15T00:00", BORN, FULL, answer(X, 0, Reason.INVALID_FORMAT)),
        pytest.param("0000", BORN, FULL, answer(X, 0, Reason.INVALID_FORMAT), id="year-0"),
        pytest.param("9" * 5000, BORN, FULL, answer(X, 0, Reason.INVALID_FORMAT), id="huge"),
        pytest.param("15 March 1990", BORN, FULL, answer(X, 0, Reason.INVALID_FORMAT)),
        pytest.param(None, BORN, FULL, answer(MISSING, 0, Reason.NOT_PROVIDED), id="none"),
        pytest.param(" ", BORN, FULL, answer(MISSING, 0, Reason.NOT_PROVIDED), id="blank"),
    ],
)
def test_match_birth_date(
    claimed: str | date | None,
    registered: date,
    precision: BirthDatePrecision,
    expected: FieldMatch,
) -> None:
    assert match_birth_date(claimed, registered, precision) == expected


def test_parse_claimed_date() -> None:
    assert parse_claimed_date("5/3/1990") == date(1990, 3, 5)
    assert parse_claimed_date("1990") == 1990
    assert parse_claimed_date("29/02/2001") is None


# --- sex -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claimed", "expected"),
    [
        (Sex.FEMALE, answer(M, 100, Reason.EXACT)),
        ("female", answer(M, 100, Reason.EXACT)),
        (" F ", answer(M, 100, Reason.EXACT)),
        ("NỮ", answer(M, 100, Reason.EXACT)),
        ("nu", answer(M, 100, Reason.EXACT)),
        ("male", answer(X, 0, Reason.DIFFERENT)),
        ("Nam", answer(X, 0, Reason.DIFFERENT)),
        ("1", answer(X, 0, Reason.INVALID_FORMAT)),
        ("woman", answer(X, 0, Reason.INVALID_FORMAT)),
        (None, answer(MISSING, 0, Reason.NOT_PROVIDED)),
        ("", answer(MISSING, 0, Reason.NOT_PROVIDED)),
    ],
)
def test_match_sex(claimed: str | None, expected: FieldMatch) -> None:
    assert match_sex(claimed, Sex.FEMALE) == expected


# --- personal ID ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claimed", "legacy_id", "expected"),
    [
        (ID, None, answer(M, 100, Reason.EXACT)),
        ("087 084 000 999", None, answer(M, 99, Reason.FORMAT)),
        (" 087.084.000.999 ", None, answer(M, 99, Reason.FORMAT)),
        ("０８７０８４０００９９９", None, answer(M, 99, Reason.FORMAT)),
        (CMND, CMND, answer(M, 80, Reason.LEGACY_ID)),
        ("271 450 123", CMND, answer(M, 80, Reason.LEGACY_ID)),
        ("087084000998", None, answer(X, 90, Reason.WRONG_DIGIT)),
        ("087084009999", None, answer(X, 90, Reason.WRONG_DIGIT)),
        ("807084000999", None, answer(X, 90, Reason.WRONG_DIGIT)),
        ("087804000999", None, answer(X, 90, Reason.WRONG_DIGIT)),
        ("271450132", CMND, answer(X, 90, Reason.WRONG_DIGIT)),
        ("001190123456", None, answer(X, 0, Reason.DIFFERENT)),
        (CMND, None, answer(X, 0, Reason.DIFFERENT)),
        ("123456789", CMND, answer(X, 0, Reason.DIFFERENT)),
        ("999190123456", None, answer(X, 0, Reason.INVALID_FORMAT)),
        ("001990123456", None, answer(X, 0, Reason.INVALID_FORMAT)),
        ("08708400099", None, answer(X, 0, Reason.INVALID_FORMAT)),
        ("08708400099O", None, answer(X, 0, Reason.INVALID_FORMAT)),
        ("1" * 100, None, answer(X, 0, Reason.INVALID_FORMAT)),
        (None, CMND, answer(MISSING, 0, Reason.NOT_PROVIDED)),
        ("  ", CMND, answer(MISSING, 0, Reason.NOT_PROVIDED)),
    ],
)
def test_match_personal_id(
    claimed: str | None, legacy_id: str | None, expected: FieldMatch
) -> None:
    assert match_personal_id(claimed, ID, legacy_id) == expected


# --- phone ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claimed", "registered", "expected"),
    [
        (PHONE, PHONE, answer(M, 100, Reason.EXACT)),
        ("0912 345 678", PHONE, answer(M, 99, Reason.FORMAT)),
        ("091.234.5678", PHONE, answer(M, 99, Reason.FORMAT)),
        ("+84 912 345 678", PHONE, answer(M, 99, Reason.FORMAT)),
        ("+84 (0) 912-345-678", PHONE, answer(M, 99, Reason.FORMAT)),
        ("84912345678", PHONE, answer(M, 99, Reason.FORMAT)),
        ("0084912345678", PHONE, answer(M, 99, Reason.FORMAT)),
        ("912345678", PHONE, answer(M, 99, Reason.FORMAT)),
        ("0912345687", PHONE, answer(X, 90, Reason.WRONG_DIGIT)),
        ("0962345678", PHONE, answer(X, 90, Reason.WRONG_DIGIT)),
        ("0987654321", PHONE, answer(X, 0, Reason.DIFFERENT)),
        (PHONE, None, answer(X, 0, Reason.NOT_ON_RECORD)),
        ("091234567", PHONE, answer(X, 0, Reason.INVALID_FORMAT)),
        ("01682345678", PHONE, answer(X, 0, Reason.INVALID_FORMAT)),
        ("phone", PHONE, answer(X, 0, Reason.INVALID_FORMAT)),
        (None, PHONE, answer(MISSING, 0, Reason.NOT_PROVIDED)),
        ("", None, answer(MISSING, 0, Reason.NOT_PROVIDED)),
    ],
)
def test_match_phone(claimed: str | None, registered: str | None, expected: FieldMatch) -> None:
    assert match_phone(claimed, registered) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("+84912345678", PHONE), ("912345678", PHONE), ("0012345678", "0012345678"), ("12", None)],
)
def test_normalise_phone(text: str, expected: str | None) -> None:
    assert normalise_phone(text) == expected


# --- free text -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claimed", "registered", "expected"),
    [
        (ADDRESS, ADDRESS, answer(M, 100, Reason.EXACT)),
        (ADDRESS.replace(", ", " - "), ADDRESS, answer(M, 99, Reason.WHITESPACE)),
        (ADDRESS.upper(), ADDRESS, answer(M, 95, Reason.CASE)),
        (strip_diacritics(ADDRESS).lower(), ADDRESS, answer(M, 90, Reason.DIACRITICS)),
        (
            "Thành phố Hà Nội; Quận Ba Đình, Phường Phúc Xá, Số 12 ngõ 3",
            ADDRESS,
            answer(M, 80, Reason.WORD_ORDER),
        ),
        (
            "Số 3 ngõ 12, Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội",
            ADDRESS,
            answer(X, 94, Reason.TYPO),
        ),
        (
            "So 12 ngo 3, P. Phuc Xa, Q. Ba Dinh, Ha Noi",
            ADDRESS,
            answer(X, 80, Reason.DIFFERENT),
        ),
        (ADDRESS, None, answer(X, 0, Reason.NOT_ON_RECORD)),
        ("", None, answer(MISSING, 0, Reason.NOT_PROVIDED)),
        (" , ; ", ADDRESS, answer(MISSING, 0, Reason.NOT_PROVIDED)),
    ],
)
def test_match_text(claimed: str | None, registered: str | None, expected: FieldMatch) -> None:
    assert match_text(claimed, registered) == expected


# --- decision ------------------------------------------------------------------------

MATCHED = answer(M, 100, Reason.EXACT)
MISMATCHED = answer(X, 90, Reason.WRONG_DIGIT)
NOT_GIVEN = answer(MISSING, 0, Reason.NOT_PROVIDED)


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ({"full_name": MATCHED, "birth_date": MATCHED}, M),
        ({"full_name": MATCHED, "sex": NOT_GIVEN}, M),
        ({"full_name": MATCHED, "personal_id": MISMATCHED}, X),
        ({"full_name": MISMATCHED, "sex": NOT_GIVEN}, X),
        ({"full_name": NOT_GIVEN}, MISSING),
        ({}, MISSING),
    ],
)
def test_overall_decision(results: dict[str, FieldMatch], expected: Verdict) -> None:
    assert overall_decision(results) is expected


@pytest.mark.parametrize(
    ("claimed", "registered", "expected"),
    [
        ("087084000998", ID, True),
        ("087084009099", ID, True),
        ("087084009909", ID, False),
        ("807084000999", ID, True),
        ("087048000999", ID, True),
        ("087084000999", ID, False),
        ("08708400099", ID, False),
        ("187084000999", ID, True),
        ("780084000999", ID, False),
    ],
)
def test_one_digit_off(claimed: str, registered: str, expected: bool) -> None:
    assert one_digit_off(claimed, registered) is expected


def test_docs_print_the_decision_table() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "matching.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| (\w+) \| ([^|]+?) \|", docs, flags=re.MULTILINE)
    printed = {reason: (verdict, score) for reason, verdict, score in rows}

    expected = {
        reason.value: (verdict.value, "similarity" if score is None else str(score))
        for reason, (verdict, score) in DECISION_TABLE.items()
    }
    assert printed == expected


# --- properties ----------------------------------------------------------------------

_VOWELS = "aăâeêioôơuưy"
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
VIETNAMESE_LETTERS = sorted(
    {unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in _TONES}
    | set("bcdđghklmnpqrstvx")
)
syllables = st.text(st.sampled_from(VIETNAMESE_LETTERS), min_size=1, max_size=7)
vietnamese_names = st.lists(syllables, min_size=1, max_size=5).map(" ".join) | st.sampled_from(
    [HA, DUC, "Hồ Chí Minh", "Phạm Thị Ngọc Hường", "Huỳnh Đức Thịnh", "Lý Thị Ửng", "Võ Thị Sáu"]
)
forms = st.sampled_from(["NFC", "NFD", "NFKC", "NFKD"])
cases: st.SearchStrategy[Callable[[str], str]] = st.sampled_from(
    [str, str.upper, str.lower, str.title, str.swapcase, str.casefold]
)
spaces = st.text(st.sampled_from(" \t\n\u00a0\u2003\u3000"), max_size=3)
FORMATTING = {Reason.EXACT, Reason.WHITESPACE, Reason.UNICODE_FORM, Reason.CASE}


@NO_DB
@given(vietnamese_names, forms, cases, spaces, spaces, spaces)
def test_a_name_matches_itself_in_any_form_case_and_spacing(
    name: str, form: str, case: Callable[[str], str], before: str, between: str, after: str
) -> None:
    claimed = before + unicodedata.normalize(form, case(name)).replace(" ", " " + between) + after

    result = match_name(claimed, name)

    assert result.verdict is Verdict.MATCH
    assert result.reason in FORMATTING


@NO_DB
@given(vietnamese_names, cases)
def test_stripping_diacritics_never_yields_a_mismatch(
    name: str, case: Callable[[str], str]
) -> None:
    result = match_name(case(strip_diacritics(name)), name)

    assert result.verdict is Verdict.MATCH
    assert result.reason in FORMATTING | {Reason.DIACRITICS}
    assert strip_diacritics(name).isascii()


@NO_DB
@given(st.lists(syllables, min_size=2, max_size=5), st.randoms(use_true_random=False))
def test_reordered_words_match(words: list[str], rng: random.Random) -> None:
    shuffled = words[:]
    rng.shuffle(shuffled)

    result = match_name(strip_diacritics(" ".join(shuffled)), " ".join(words))

    assert result.verdict is Verdict.MATCH
    assert result.reason in FORMATTING | {Reason.DIACRITICS, Reason.WORD_ORDER}


@NO_DB
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)), st.booleans())
def test_swapping_day_and_month_is_reported(registered: date, iso: bool) -> None:
    assume(registered.day <= 12 and registered.day != registered.month)
    swapped = date(registered.year, registered.day, registered.month)
    claimed = swapped.isoformat() if iso else swapped.strftime("%d/%m/%Y")

    assert match_birth_date(claimed, registered, FULL) == answer(X, 90, Reason.DAY_MONTH_SWAPPED)


@NO_DB
@given(
    st.sampled_from(sorted(PROVINCES)),
    st.sampled_from(Sex),
    st.integers(1900, 2025),
    st.from_regex(r"\A[0-9]{6}\Z"),
    st.integers(0, 11),
    st.integers(1, 9),
)
def test_one_wrong_digit_in_a_personal_id(
    province: str, sex: Sex, year: int, serial: str, position: int, shift: int
) -> None:
    registered = f"{province}{century_sex_digit(sex, year)}{year % 100:02d}{serial}"
    wrong = str((int(registered[position]) + shift) % 10)
    claimed = registered[:position] + wrong + registered[position + 1 :]

    assert match_personal_id(claimed, registered) == answer(X, 90, Reason.WRONG_DIGIT)


def _consistent(result: FieldMatch) -> None:
    verdict, score = DECISION_TABLE[result.reason]
    assert result.verdict is verdict
    assert 0 <= result.score <= 100
    if score is not None:
        assert result.score == score
    elif result.reason is Reason.TYPO:
        assert TYPO_THRESHOLD <= result.score <= 99
    else:
        assert result.score < TYPO_THRESHOLD


any_text = st.text(st.characters(exclude_categories=()), max_size=60) | st.sampled_from(
    ["\x00", "\ud800", "🇻🇳👨‍👩‍👧", "\u0301" * 5, "٣١/٠٣/١٩٩٠", "İ", "ß", "ǅ", "\u00a8", "9" * 5000]
)


@NO_DB
@given(any_text, any_text)
@example("x" * 2000, HA)
@example(HA, "x" * 2000)
def test_matching_never_raises_and_follows_the_table(claimed: str, registered: str) -> None:
    results = [
        match_name(claimed, registered),
        match_name(claimed, HA),
        match_text(claimed, registered),
        match_text(claimed, ADDRESS),
        match_birth_date(claimed, BORN, FULL),
        match_birth_date(claimed, BORN, YEAR),
        match_sex(claimed, Sex.MALE),
        match_personal_id(claimed, ID, registered),
        match_phone(claimed, registered),
        match_phone(claimed, PHONE),
    ]

    for result in results:
        _consistent(result)
    assert match_name(claimed, registered) == results[0]  # deterministic (and cache-safe)
    assert isinstance(strip_diacritics(claimed), str)
    assert isinstance(normalise_name(claimed), str)


@NO_DB
@given(any_text)
def test_strip_diacritics_and_normalise_name_are_idempotent(text: str) -> None:
    stripped = strip_diacritics(text)

    assert strip_diacritics(stripped) == stripped
    assert not any(0x0300 <= ord(character) <= 0x036F for character in stripped)
    assert normalise_name(normalise_name(text)) == normalise_name(text)
