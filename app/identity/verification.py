"""Per-field verification: find the person the caller means, then compare each claim.

The subject is found by the 12-digit ID; failing that, by IDs one digit away
(a mistyped ID) whose record agrees with the claims; or by the old 9-digit
CMND. The registry's values are never returned unless the purpose may read them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.auth.errors import FieldNotAllowedError
from app.auth.principal import PurposePolicy
from app.db import Database, RawSession
from app.identity import repository
from app.identity.claims import MATCHERS, registered_value, verify_columns
from app.identity.matching import FieldMatch, Reason, Verdict
from app.identity.matching.verdicts import FIXED
from app.identity.personal_id import is_valid_personal_id
from app.identity.provinces import PROVINCES
from app.identity.verification_schemas import Claims
from app.models.enums import CitizenField as F
from app.models.enums import Operation

PERSONAL_ID_LENGTH, LEGACY_ID_LENGTH = 12, 9
PERSONAL_ID = F.PERSONAL_ID.value
Record = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Check:
    """One verification request: the ID as sent and the claims given."""

    personal_id: str
    claims: dict[F, str]


@dataclass(frozen=True, slots=True)
class Outcome:
    decision: str
    reason: str | None
    fields: dict[str, dict[str, Any]]
    subject: str | None = None  # the personal ID of the citizen compared, if one was found

    @property
    def fields_checked(self) -> int:
        return sum(1 for result in self.fields.values() if result["verdict"] != "missing")


def claimed_fields(claims: Claims, policy: PurposePolicy) -> dict[F, str]:
    """The claims given, refused as a whole if the purpose may not check one of them."""
    given = {F(name): value for name, value in claims.model_dump(exclude_none=True).items()}
    wanted = [F.PERSONAL_ID, *given]
    refused = [field.value for field in wanted if field not in policy.fields]
    if refused:
        raise FieldNotAllowedError(
            f"Purpose {policy.code!r} may not check: {', '.join(refused)}.",
            extensions={"fields": refused},
        )
    return given


def verify_many(
    database: Database, checks: Sequence[Check], policy: PurposePolicy
) -> list[Outcome]:
    """Outcomes in the order of ``checks``, with a handful of indexed queries per batch."""
    digits = [_digits(check.personal_id) for check in checks]
    columns = verify_columns(frozenset(field for check in checks for field in check.claims))
    with database.reader.session() as connection:
        by_id = _rows_by(
            connection,
            "personal_id",
            {d for d in digits if d and len(d) == PERSONAL_ID_LENGTH},
            columns,
        )
        by_legacy = _rows_by(
            connection,
            "legacy_id",
            {d for d in digits if d and len(d) == LEGACY_ID_LENGTH},
            columns,
        )
        neighbours = _neighbour_rows(
            connection,
            [d for d in digits if d and len(d) == PERSONAL_ID_LENGTH and d not in by_id],
            columns,
        )
    readable = policy.allows(Operation.LOOKUP)
    outcomes = []
    for check, number in zip(checks, digits, strict=True):
        outcomes.append(_verify_one(check, number, by_id, by_legacy, neighbours, policy, readable))
    return outcomes


def _verify_one(
    check: Check,
    number: str | None,
    by_id: dict[str, list[Record]],
    by_legacy: dict[str, list[Record]],
    neighbours: dict[str, list[Record]],
    policy: PurposePolicy,
    readable: bool,
) -> Outcome:
    if number is None or len(number) not in (PERSONAL_ID_LENGTH, LEGACY_ID_LENGTH):
        return Outcome("invalid", "invalid_id", {})
    if len(number) == PERSONAL_ID_LENGTH:
        if number in by_id:
            return _compare(check, by_id[number][0], FIXED[Reason.EXACT], policy, readable)
        # A mistyped ID may even break the structure (a wrong province digit).
        subject = _agreeing(check, neighbours.get(number, []))
        if subject is not None:
            return _compare(check, subject, FIXED[Reason.WRONG_DIGIT], policy, readable)
        if not is_valid_personal_id(number):
            return Outcome("invalid", "invalid_id", {})
        return _not_found("not_found")
    holders = by_legacy.get(number, [])
    subject = holders[0] if len(holders) == 1 else _agreeing(check, holders)
    if subject is None:
        return _not_found("ambiguous_legacy_id" if holders else "not_found")
    return _compare(check, subject, FIXED[Reason.LEGACY_ID], policy, readable)


def _compare(
    check: Check,
    row: Record,
    id_result: FieldMatch,
    policy: PurposePolicy,
    readable: bool,
) -> Outcome:
    # The hot path of bulk clean-ups: enum members' ``_value_`` and the decision of
    # ``overall_decision`` worked out in the one loop (the ID is always provided).
    fields: dict[str, dict[str, Any]] = {
        PERSONAL_ID: _entry(id_result, F.PERSONAL_ID, row, readable)
    }
    matched = id_result.verdict is Verdict.MATCH
    for field, claimed in check.claims.items():
        result = MATCHERS[field](claimed, row)
        fields[field._value_] = _entry(result, field, row, readable)
        if result.verdict is Verdict.MISMATCH:
            matched = False
    decision = Verdict.MATCH if matched else Verdict.MISMATCH
    subject = str(row["personal_id"])
    if row["death_date"] is not None:
        return Outcome("mismatch", "deceased", fields, subject)
    if row["disappearance_date"] is not None:
        return Outcome("mismatch", "missing", fields, subject)
    return Outcome("match" if decision is Verdict.MATCH else "mismatch", None, fields, subject)


def _entry(result: FieldMatch, field: F, row: Record, readable: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "verdict": result.verdict._value_,
        "score": result.score,
        "reason": result.reason._value_,
    }
    if readable and result.verdict is not Verdict.MATCH:
        entry["registered"] = registered_value(field, row)
    return entry


def _not_found(reason: str) -> Outcome:
    return Outcome("not_found", reason, {})


# Differences that still point at the same person when an ID was mistyped.
NEAR_MISSES = frozenset({Reason.TYPO, Reason.DAY_MONTH_SWAPPED, Reason.WRONG_DIGIT})
CORE_CLAIMS = (F.FULL_NAME, F.BIRTH_DATE)


def _agreeing(check: Check, rows: Iterable[Record]) -> Record | None:
    """The one row the claims point at, when the ID itself cannot be trusted.

    A candidate must be named by the core claims (full name, birth date; at least
    one given), each matching or nearly (a typo, a swapped day and month), and may
    differ in at most one claim in all. The candidate with fewest differences wins;
    a tie is no answer.
    """
    if not any(field in check.claims for field in CORE_CLAIMS):
        return None
    scored = []
    for row in rows:
        differences = 0
        for field, claimed in check.claims.items():
            result = MATCHERS[field](claimed, row)
            if result.verdict is Verdict.MATCH:
                continue
            if field in CORE_CLAIMS and result.reason not in NEAR_MISSES:
                break
            differences += 1
        else:
            if differences <= 1:
                scored.append((differences, row))
    scored.sort(key=lambda item: item[0])
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return None
    return scored[0][1]


def _digits(text: str) -> str | None:
    compact = "".join(text.split())
    return compact if compact.isascii() and compact.isdigit() else None


def _rows_by(
    connection: RawSession, key: str, values: set[str], columns: tuple[str, ...]
) -> dict[str, list[Record]]:
    found: dict[str, list[Record]] = {}
    for row in repository.citizens_by_keys(connection, key, sorted(values), columns):
        found.setdefault(row[key], []).append(row)
    return found


_OTHER_DIGITS = {digit: [d for d in "0123456789" if d != digit] for digit in "0123456789"}


def registrable_variants(number: str) -> set[str]:
    """The IDs one substituted digit or one adjacent transposition away from ``number``
    (119 for 12 digits) that could be someone's: their first three digits name a province,
    as every citizen's do (about a fifth of the 119 need no look-up).
    """
    variants: set[str] = set()
    kept = number[:3] in PROVINCES  # variants past the third digit keep the province
    for i, digit in enumerate(number):
        left, right = number[:i], number[i + 1 :]
        others = _OTHER_DIGITS.get(digit, ())
        if i >= 3:
            if kept:
                variants.update([left + other + right for other in others])
        else:
            variants.update(v for other in others if (v := left + other + right)[:3] in PROVINCES)
        if i + 1 < len(number) and digit != number[i + 1]:
            swapped = left + number[i + 1] + digit + number[i + 2 :]
            if swapped[:3] in PROVINCES:
                variants.add(swapped)
    return variants


def _neighbour_rows(
    connection: RawSession, numbers: Sequence[str], columns: tuple[str, ...]
) -> dict[str, list[Record]]:
    if not numbers:
        return {}
    variants = {number: registrable_variants(number) for number in numbers}
    # Most variants are nobody's ID: find the few that are on the small unique index,
    # then read only those citizens.
    taken = repository.taken_personal_ids(connection, sorted(set().union(*variants.values())))
    rows = _rows_by(connection, "personal_id", taken, columns)
    return {
        number: [row for v in sorted(candidates) for row in rows.get(v, [])]
        for number, candidates in variants.items()
    }
