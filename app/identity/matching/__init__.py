"""Per-field matching of claimed identity data against the registry: pure, fast, never raising.

Each ``match_*`` function answers a ``FieldMatch`` (verdict, score 0-100, reason)
and never the registered value. docs/matching.md is the decision table.
"""

from app.identity.matching.codes import (
    match_personal_id,
    match_phone,
    match_sex,
    normalise_phone,
    one_digit_off,
)
from app.identity.matching.dates import match_birth_date, parse_claimed_date
from app.identity.matching.text import (
    MAX_TEXT_LENGTH,
    match_name,
    match_text,
    normalise_name,
    similarity,
    strip_diacritics,
)
from app.identity.matching.verdicts import (
    DECISION_TABLE,
    TYPO_THRESHOLD,
    FieldMatch,
    Reason,
    Verdict,
    overall_decision,
)

__all__ = [
    "DECISION_TABLE",
    "MAX_TEXT_LENGTH",
    "TYPO_THRESHOLD",
    "FieldMatch",
    "Reason",
    "Verdict",
    "match_birth_date",
    "match_name",
    "match_personal_id",
    "match_phone",
    "match_sex",
    "match_text",
    "normalise_name",
    "normalise_phone",
    "one_digit_off",
    "overall_decision",
    "parse_claimed_date",
    "similarity",
    "strip_diacritics",
]
