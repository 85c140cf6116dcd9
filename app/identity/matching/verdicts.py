"""What a per-field check answers: a verdict, a score 0-100 and the reason.

``DECISION_TABLE`` is the single source of the reason → (verdict, score) rule;
docs/matching.md prints it and a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Verdict(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"
    MISSING = "missing"


class Reason(StrEnum):
    """How the claimed value differs from the registered one, the most significant first."""

    NOT_PROVIDED = "not_provided"
    NOT_ON_RECORD = "not_on_record"
    INVALID_FORMAT = "invalid_format"
    DIFFERENT = "different"
    TYPO = "typo"
    WRONG_DIGIT = "wrong_digit"
    DAY_MONTH_SWAPPED = "day_month_swapped"
    WORD_ORDER = "word_order"
    LEGACY_ID = "legacy_id"
    YEAR_ONLY = "year_only"
    DIACRITICS = "diacritics"
    CASE = "case"
    UNICODE_FORM = "unicode_form"
    WHITESPACE = "whitespace"
    FORMAT = "format"
    EXACT = "exact"


@dataclass(frozen=True, slots=True)
class FieldMatch:
    verdict: Verdict
    score: int
    reason: Reason


TYPO_THRESHOLD = 85
"""Text similarity (rapidfuzz, 0-100, rounded down) from which a difference is a ``typo``."""

# Reason → (verdict, score); None: the score is the text similarity (see TYPO_THRESHOLD).
DECISION_TABLE: Mapping[Reason, tuple[Verdict, int | None]] = MappingProxyType(
    {
        Reason.EXACT: (Verdict.MATCH, 100),
        Reason.FORMAT: (Verdict.MATCH, 99),
        Reason.WHITESPACE: (Verdict.MATCH, 99),
        Reason.UNICODE_FORM: (Verdict.MATCH, 98),
        Reason.CASE: (Verdict.MATCH, 95),
        Reason.DIACRITICS: (Verdict.MATCH, 90),
        Reason.YEAR_ONLY: (Verdict.MATCH, 80),
        Reason.LEGACY_ID: (Verdict.MATCH, 80),
        Reason.WORD_ORDER: (Verdict.MATCH, 80),
        Reason.DAY_MONTH_SWAPPED: (Verdict.MISMATCH, 90),
        Reason.WRONG_DIGIT: (Verdict.MISMATCH, 90),
        Reason.TYPO: (Verdict.MISMATCH, None),
        Reason.DIFFERENT: (Verdict.MISMATCH, None),
        Reason.INVALID_FORMAT: (Verdict.MISMATCH, 0),
        Reason.NOT_ON_RECORD: (Verdict.MISMATCH, 0),
        Reason.NOT_PROVIDED: (Verdict.MISSING, 0),
    }
)


def _fixed(reason: Reason) -> FieldMatch:
    verdict, score = DECISION_TABLE[reason]
    return FieldMatch(verdict, 0 if score is None else score, reason)


# One shared instance per fixed row: the hot path allocates nothing for them.
FIXED: Mapping[Reason, FieldMatch] = MappingProxyType({r: _fixed(r) for r in Reason})
DIFFERENT = FIXED[Reason.DIFFERENT]  # score 0: structured fields, over-long or absent values
NOT_PROVIDED = FIXED[Reason.NOT_PROVIDED]


def similar(score: int) -> FieldMatch:
    """A text mismatch: ``typo`` from TYPO_THRESHOLD on, else ``different``; score ≤ 99."""
    score = max(0, min(99, score))
    return FieldMatch(
        Verdict.MISMATCH, score, Reason.TYPO if score >= TYPO_THRESHOLD else Reason.DIFFERENT
    )


def overall_decision(results: Mapping[str, FieldMatch]) -> Verdict:
    """``match`` if at least one field was provided and every provided field matched.

    ``missing`` if no field was provided, else ``mismatch``.
    """
    provided = [r.verdict for r in results.values() if r.verdict is not Verdict.MISSING]
    if not provided:
        return Verdict.MISSING
    return Verdict.MATCH if all(v is Verdict.MATCH for v in provided) else Verdict.MISMATCH
