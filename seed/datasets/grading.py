"""Grade per-field verification results against a dataset's answer key.

A row is graded right when the faults the verification reveals (reasons other
than formatting) are exactly the faults the generator injected into it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Which (field, reason) of a verification result reveals which injected fault.
REVEALS: dict[tuple[str, str], str] = {
    ("full_name", "diacritics"): "diacritics_stripped",
    ("full_name", "unicode_form"): "diacritics_decomposed",
    ("full_name", "case"): "upper_case",
    ("full_name", "word_order"): "name_order_swapped",
    ("full_name", "typo"): "name_typo",
    ("birth_date", "day_month_swapped"): "day_month_swapped",
    ("birth_date", "year_only"): "year_only_birth_date",
    ("personal_id", "legacy_id"): "legacy_id_instead",
    ("personal_id", "wrong_digit"): "id_digit_wrong",
    ("phone", "different"): "phone_reassigned",
}
# Differences of form only, or nothing to compare with: not faults of the record.
COSMETIC = frozenset({"exact", "format", "whitespace", "not_on_record"})

# Columns of each sector's dataset → verification claims.
CLAIM_COLUMNS: dict[str, dict[str, str]] = {
    "telecom": {"full_name": "full_name", "birth_date": "birth_date", "phone": "msisdn"},
    "bank": {"full_name": "full_name", "birth_date": "birth_date", "sex": "sex", "phone": "phone"},
    "social_insurance": {"full_name": "full_name", "birth_date": "birth_date", "sex": "sex"},
    "hospital": {"full_name": "full_name", "birth_date": "birth_date", "sex": "sex"},
}


def verification_record(sector: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The batch-verification record for one dataset row."""
    claims = {
        claim: row[column]
        for claim, column in CLAIM_COLUMNS[sector].items()
        if row.get(column) not in (None, "")
    }
    return {"personal_id": str(row["id_number"]), "claims": claims}


def revealed_faults(result: Mapping[str, Any]) -> set[str]:
    """The faults a verification result points at."""
    if result["decision"] == "not_found":
        return {"not_in_registry"}
    found = set()
    if result.get("reason") == "deceased":
        found.add("deceased_still_active")
    for field_name, verdict in result.get("fields", {}).items():
        reason = verdict["reason"]
        if reason in COSMETIC:
            continue
        found.add(REVEALS.get((field_name, reason), f"{field_name}:{reason}"))
    return found


@dataclass
class Grade:
    rows: int = 0
    right: int = 0
    misses: Counter[str] = field(default_factory=Counter)  # "injected → revealed"

    @property
    def accuracy(self) -> float:
        return self.right / self.rows if self.rows else 0.0


def grade(answers: Sequence[Mapping[str, Any]], results: Sequence[Mapping[str, Any]]) -> Grade:
    report = Grade()
    for answer, result in zip(answers, results, strict=True):
        injected = set(answer["faults"])
        revealed = revealed_faults(result)
        report.rows += 1
        if injected == revealed:
            report.right += 1
        else:
            report.misses[f"{sorted(injected)} → {sorted(revealed)}"] += 1
    return report
