"""Names and free text: normalisation and the matching ladder.

A claim is compared with the registered value under looser and looser
equivalences, each forgiving one more kind of difference (whitespace, Unicode
form, case, lost diacritics, word order). The first equivalence under which the
two are equal names the reason; each key is computed from the previous one, so
a looser level always forgives everything a stricter one does.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import fuzz

from app.identity.matching.verdicts import (
    DIFFERENT,
    FIXED,
    NOT_PROVIDED,
    FieldMatch,
    Reason,
    similar,
)

MAX_TEXT_LENGTH = 1000
"""Longer claims are ``different`` (score 0) without being read: no name or address is that long."""

# Combining Diacritical Marks, … Extended, … Supplement, … for Symbols, Half Marks.
_DIACRITIC_BLOCKS = (
    (0x0300, 0x036F),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F),
)
# Letters that look exactly like Đ and turn up in text converted from legacy code pages.
_CONFUSABLES = {0x00D0: "Đ", 0x0189: "Đ"}


_DIACRITICS = frozenset(code for low, high in _DIACRITIC_BLOCKS for code in range(low, high + 1))


def _build_tables() -> tuple[dict[int, str | None], dict[int, str | None], dict[int, str | None]]:
    """Translation tables over the BMP: strip diacritics, clean invisibles, clean punctuation."""
    strip: dict[int, str | None] = dict.fromkeys(_DIACRITICS)
    invisible: dict[int, str | None] = {}
    punctuation: dict[int, str | None] = {}
    for code in range(0x10000):
        character = chr(code)
        category = unicodedata.category(character)
        if code >= 0xC0 and unicodedata.decomposition(character) and code not in _DIACRITICS:
            decomposed = unicodedata.normalize("NFD", character)
            kept = "".join(c for c in decomposed if ord(c) not in _DIACRITICS)
            if kept != decomposed:
                strip[code] = unicodedata.normalize("NFC", kept) or None
        # Control characters separate (NUL padding of fixed-width records), format
        # characters (zero-width space, soft hyphen, BOM) vanish inside a word.
        if category == "Cc" and not character.isspace():
            invisible[code] = " "
        elif category == "Cf":
            invisible[code] = None
        elif category[0] == "P":
            punctuation[code] = " "
    strip.update({ord("đ"): "d", ord("Đ"): "D"})
    return strip, invisible, invisible | punctuation


_STRIP, _INVISIBLE, _INVISIBLE_AND_PUNCTUATION = _build_tables()
_PART_SEPARATORS = re.compile(r"[,;\n]")
_NOT_ASCII_OR_MARK = re.compile(r"[^\x00-\x7f\u0300-\u036f]")


def strip_diacritics(text: str) -> str:
    """Remove accents, tone marks and other combining marks; đ/Đ become d/D. Result is NFC."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    if "đ" in decomposed or "Đ" in decomposed:
        decomposed = decomposed.replace("đ", "d").replace("Đ", "D")
    if _NOT_ASCII_OR_MARK.search(decomposed) is None:
        # Latin letters and marks only (all Vietnamese text): dropping the marks is enough.
        return decomposed.encode("ascii", "ignore").decode("ascii")
    stripped = unicodedata.normalize("NFC", text).translate(_STRIP)
    return stripped if stripped.isascii() else unicodedata.normalize("NFC", stripped)


def _squash(text: str, *, punctuation: bool = False) -> str:
    """Trim, collapse every whitespace run to one space, drop invisible characters."""
    if punctuation:
        text = text.translate(_INVISIBLE_AND_PUNCTUATION)
    elif not text.isprintable():
        text = text.translate(_INVISIBLE)
    return " ".join(text.split())


def normalise_name(text: str) -> str:
    """NFC, whitespace collapsed (invisible characters dropped), casefolded."""
    folded = _squash(unicodedata.normalize("NFC", text)).casefold()
    return folded if folded.isascii() else unicodedata.normalize("NFC", folded)


class _Forms(NamedTuple):
    spaced: str  # whitespace and invisible characters cleaned
    composed: str  # + NFKC, Đ look-alikes replaced
    folded: str  # + casefolded
    stripped: str  # + diacritics stripped


def _nfkc(text: str, *, punctuation: bool) -> str:
    if text.isascii():
        return text
    normal = unicodedata.normalize("NFKC", text)
    # NFKC can produce spaces (e.g. from spacing accents), so squash again if it changed.
    return normal if normal == text else _squash(normal, punctuation=punctuation)


# Pays off on values that recur: common address parts, a registered name checked
# against several claimed spellings, retried batches. Bounded to keep memory small.
@lru_cache(maxsize=8192)
def _forms(text: str, punctuation: bool) -> _Forms:
    spaced = _squash(text, punctuation=punctuation)
    composed = _nfkc(spaced, punctuation=punctuation)
    if "\u00d0" in composed or "\u0189" in composed:
        composed = composed.translate(_CONFUSABLES)
    folded = _nfkc(composed.casefold(), punctuation=punctuation)
    return _Forms(spaced, composed, folded, strip_diacritics(folded))


def _unmarked(forms: _Forms) -> bool:
    return forms.folded == forms.stripped


def _marks_compatible(claimed: str, registered: str) -> bool:
    """True if, letter by letter, the two differ only by one side lacking the marks.

    "ha" and "hà" are compatible (the marks were lost), "hạ" and "hà" are not
    (different tones make different names).
    """
    if len(claimed) != len(registered):
        return claimed == strip_diacritics(claimed) or registered == strip_diacritics(registered)
    for a, b in zip(claimed, registered, strict=True):
        if a != b and a != _STRIP.get(ord(b), b) and b != _STRIP.get(ord(a), a):
            return False
    return True


def _words(forms: _Forms) -> list[tuple[str, str]] | None:
    """(stripped, folded) per word, sorted; None if stripping changed the word count."""
    stripped, folded = forms.stripped.split(" "), forms.folded.split(" ")
    if len(stripped) != len(folded):
        return None
    return sorted(zip(stripped, folded, strict=True))


def _parts(text: str) -> list[tuple[str, str]]:
    """(stripped, folded) per comma- or semicolon-separated part of an address, sorted."""
    parts = (_forms(part, True) for part in _PART_SEPARATORS.split(text))
    return sorted((part.stripped, part.folded) for part in parts if part.spaced)


def _same_items(
    claimed: list[tuple[str, str]] | None, registered: list[tuple[str, str]] | None
) -> bool:
    """The same items (words or parts), each equal up to lost marks, in another order."""
    if claimed is None or registered is None or len(claimed) != len(registered):
        return False
    return all(
        cs == rs and _marks_compatible(cf, rf)
        for (cs, cf), (rs, rf) in zip(claimed, registered, strict=True)
    )


def _same_words(claimed: _Forms, registered: _Forms) -> bool:
    if len(claimed.stripped) != len(registered.stripped) or (
        sorted(claimed.stripped.split(" ")) != sorted(registered.stripped.split(" "))
    ):
        return False  # cheap rejection of the common case, typos and different names
    return _same_items(_words(claimed), _words(registered))


def similarity(claimed: str, registered: str) -> int:
    """Name similarity 0-100, rounded down: the better of rapidfuzz ``ratio`` and
    ``token_sort_ratio`` (``match_text`` scores with ``ratio`` alone).

    Compared casefolded and NFKC; without diacritics if either side has none at all
    (legacy data cannot be blamed for marks it could not store), with them otherwise.
    """
    if len(claimed) > MAX_TEXT_LENGTH or len(registered) > MAX_TEXT_LENGTH:
        return 0
    return _similarity(_forms(claimed, False), _forms(registered, False), words=True)


def _similarity(claimed: _Forms, registered: _Forms, *, words: bool) -> int:
    if _unmarked(claimed) or _unmarked(registered):
        a, b = claimed.stripped, registered.stripped
    else:
        a, b = claimed.folded, registered.folded
    score = fuzz.ratio(a, b)
    return int(max(score, fuzz.token_sort_ratio(a, b)) if words else score)


def _ladder(claimed: str | None, registered: str | None, *, punctuation: bool) -> FieldMatch:
    if claimed is None or not isinstance(claimed, str):
        return NOT_PROVIDED if claimed is None else FIXED[Reason.INVALID_FORMAT]
    if claimed == registered and claimed.isprintable() and not claimed.isspace() and claimed:
        return FIXED[Reason.EXACT]  # the hot path: nothing to compute
    if len(claimed) > MAX_TEXT_LENGTH:
        return DIFFERENT
    c = _forms(claimed, punctuation)
    if not c.spaced:
        return NOT_PROVIDED
    if claimed == registered:
        return FIXED[Reason.EXACT]
    if registered is None or (isinstance(registered, str) and not registered.strip()):
        return FIXED[Reason.NOT_ON_RECORD]
    if not isinstance(registered, str) or len(registered) > MAX_TEXT_LENGTH:
        return DIFFERENT
    r = _forms(registered, punctuation)
    if not r.spaced:
        return DIFFERENT
    if c.spaced == r.spaced:
        return FIXED[Reason.WHITESPACE]
    if c.composed == r.composed:
        return FIXED[Reason.UNICODE_FORM]
    if c.folded == r.folded:
        return FIXED[Reason.CASE]
    if c.stripped == r.stripped and _marks_compatible(c.folded, r.folded):
        return FIXED[Reason.DIACRITICS]
    if _same_items(_parts(claimed), _parts(registered)) if punctuation else _same_words(c, r):
        return FIXED[Reason.WORD_ORDER]
    return similar(_similarity(c, r, words=not punctuation))


def match_name(claimed: str | None, registered: str) -> FieldMatch:
    """Compare a claimed full name with the registered one (see docs/matching.md)."""
    return _ladder(claimed, registered, punctuation=False)


def match_text(claimed: str | None, registered: str | None) -> FieldMatch:
    """Compare free text such as an address; like ``match_name`` but punctuation counts as
    space, ``word_order`` reorders comma-separated parts (not words) and typos are scored
    by plain ``ratio``. A claim against an absent registered value is ``different`` (0).
    """
    return _ladder(claimed, registered, punctuation=True)
