"""One chunk of a cleaning job: verify its rows, decide a status per row, add corrections.

Rows are verified with the identity issue's batch verification (the same
matching rules as `POST /v1/identity/verify/batch`), so a cleaning result and a
verification agree. A row's status:

- ``invalid``: the row could not be read, or its ID cannot be an ID;
- ``not_found``: no citizen has that ID (or an old CMND held by several);
- ``deceased``: the citizen has died;
- ``clean``: every field agrees, at most in form (case, spacing, date format);
- ``corrected``: something differs and the registry's value of every differing
  field is returned (the purpose may read it);
- ``mismatch``: something differs that the organisation must sort out itself.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from app.audit.records import AuditEntry, now_text
from app.auth.principal import PurposePolicy
from app.db import Database
from app.identity import repository as identity_repository
from app.identity.documents import birth_date_text
from app.identity.fields import columns_for
from app.identity.verification import Check, Outcome, verify_many
from app.models.enums import CitizenField as F

# Reasons that are differences of form only, or nothing to compare with.
COSMETIC = frozenset({"exact", "format", "whitespace", "case", "unicode_form", "not_on_record"})
ADDRESSES = ("permanent_address", "current_address")
PERSONAL_ID = F.PERSONAL_ID.value
STATUSES = ("clean", "corrected", "mismatch", "not_found", "deceased", "invalid")

InputRow = tuple[int, dict[str, str], str | None]  # number, values by field, invalid reason


def encode(items: Sequence[Any]) -> bytes:
    """Rows as zlib-compressed NDJSON (level 1: about 5x smaller, cheap to write)."""
    return zlib.compress(b"\n".join(orjson.dumps(item) for item in items), 1)


def ndjson(data: bytes) -> bytes:
    """Stored rows as NDJSON text, newline-terminated (results are served as they are)."""
    raw = zlib.decompress(data)
    return raw + b"\n" if raw else b""


def decode(data: bytes) -> list[Any]:
    """Rows stored by ``encode`` or ``encode_rows``."""
    raw = zlib.decompress(data)
    if raw.startswith(b"[[") or raw == b"[]":  # one array of rows (a JSON line is one row)
        return list(orjson.loads(raw))
    return [orjson.loads(line) for line in raw.split(b"\n")] if raw else []


def encode_rows(rows: Sequence[InputRow]) -> bytes:
    """A chunk of input rows as one compressed JSON array: one encoder call for all of them
    (a line per row, as ``encode`` writes results, costs three times as much)."""
    return zlib.compress(orjson.dumps(rows), 1)


@dataclass(slots=True)
class ChunkOutcome:
    results: list[dict[str, Any]]
    counts: dict[str, Any]
    # One audit record for the chunk, naming every citizen its rows were compared with,
    # and those citizens (filed in the tracker's index with the record).
    audit: AuditEntry | None = None
    subjects: tuple[str, ...] = ()
    encoded: bytes = b""  # the results as stored (``encode``), made outside the transaction


@dataclass(frozen=True, slots=True)
class JobContext:
    job_id: str
    agency_code: str
    purpose: str
    checked: tuple[F, ...]
    correctable: tuple[F, ...]
    policy: PurposePolicy


def process_rows(database: Database, job: JobContext, rows: Sequence[InputRow]) -> ChunkOutcome:
    readable = [row for row in rows if row[2] is None]
    names = [(f, f.value) for f in job.checked]
    checks = [
        Check(values.get(PERSONAL_ID, ""), {f: values[n] for f, n in names if n in values})
        for _, values, _ in readable
    ]
    outcomes = iter(verify_many(database, checks, job.policy))
    verified: dict[int, Outcome] = {number: next(outcomes) for number, _, _ in readable}
    registry = _registry_values(database, job, verified.values())
    results: list[dict[str, Any]] = []
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    subjects: set[str] = set()
    named: set[str] = set()
    fields_checked = verifications = 0
    for number, values, invalid in rows:
        if invalid is not None:
            result: dict[str, Any] = {"row": number, "status": "invalid", "reason": invalid}
        else:
            outcome = verified[number]
            result = row_result(number, values, outcome, job, registry)
            if outcome.subject is not None:
                checked = [name for name, r in outcome.fields.items() if r["verdict"] != "missing"]
                fields_checked += len(checked)
                verifications += 1
                subjects.add(outcome.subject)
                named.update(checked)
        statuses[result["status"]] += 1
        if result.get("reason"):
            reasons[str(result["reason"])] += 1
        for name, verdict in result.get("fields", {}).items():
            if verdict["reason"] not in COSMETIC:
                reasons[f"{name}:{verdict['reason']}"] += 1
        results.append(result)
    counts = {"status": dict(statuses), "reason": dict(reasons), "fields_checked": fields_checked}
    if not subjects:
        return ChunkOutcome(results, counts)
    citizens = tuple(sorted(subjects))
    order = [F.PERSONAL_ID.value, *(f.value for f in job.checked)]
    audit = AuditEntry(
        operation="clean",
        outcome="verified",
        agency_code=job.agency_code,
        purpose=job.purpose,
        personal_id=None,  # many citizens: listed in the detail, filed in the tracker's index
        fields=tuple(name for name in order if name in named),
        request_id=None,
        detail={
            "job": job.job_id,
            "rows": [rows[0][0], rows[-1][0]],
            "verifications": verifications,
            "fields_checked": fields_checked,
            "citizens": list(citizens),
        },
        occurred_at=now_text(),
    )
    return ChunkOutcome(results, counts, audit, citizens)


def row_result(
    number: int,
    values: dict[str, str],
    outcome: Outcome,
    job: JobContext,
    registry: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    if outcome.decision == "invalid":
        return {"row": number, "status": "invalid", "reason": outcome.reason}
    if outcome.decision == "not_found":
        return {"row": number, "status": "not_found", "reason": outcome.reason}
    fields = {
        name: {"verdict": r["verdict"], "reason": r["reason"], "score": r["score"]}
        for name, r in outcome.fields.items()
    }
    result: dict[str, Any] = {"row": number, "personal_id": outcome.subject, "fields": fields}
    if outcome.reason == "deceased":
        return {**result, "status": "deceased", "reason": "deceased"}
    known = registry.get(outcome.subject or "", {})
    for name in ADDRESSES:
        # An address that matched in the pre-2025 units is outdated all the same:
        # where the purpose may read it, the 2025 form comes back as a correction.
        current = known.get(name)
        if (
            current
            and name in fields
            and fields[name]["reason"] in COSMETIC
            and " ".join(values.get(name, "").split()) != " ".join(str(current).split())
        ):
            fields[name]["reason"] = "legacy_units"
    differing = [name for name, r in fields.items() if r["reason"] not in COSMETIC]
    corrections = {name: known[name] for name in differing if name in known}
    if outcome.reason is not None:  # e.g. a citizen reported missing
        result["reason"] = outcome.reason
    if not differing and outcome.reason is None:
        return {**result, "status": "clean"}
    if corrections:
        result["corrections"] = corrections
    complete = differing and len(corrections) == len(differing) and outcome.reason is None
    return {**result, "status": "corrected" if complete else "mismatch"}


def _registry_values(
    database: Database, job: JobContext, outcomes: Any
) -> dict[str, dict[str, Any]]:
    """The correctable fields' registry values of the citizens the chunk found."""
    if not job.correctable:
        return {}
    subjects = sorted({o.subject for o in outcomes if o.subject is not None})
    if not subjects:
        return {}
    columns = columns_for(job.correctable)
    with database.reader.session() as session:
        rows = identity_repository.citizens_by_keys(session, "personal_id", subjects, columns)
    return {str(row["personal_id"]): _corrections(row, job.correctable) for row in rows}


def _corrections(row: Any, fields: tuple[F, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in fields:
        if f is F.BIRTH_DATE:
            values[f.value] = birth_date_text(row["birth_date"], row["birth_date_precision"])
        elif f in (F.PERMANENT_ADDRESS, F.CURRENT_ADDRESS):
            # Returned in the 2025 two-level units (province and ward).
            kind = f.value.removesuffix("_address")
            values[f.value] = row[f"{kind}_address_2025"]
        else:
            values[f.value] = row[f.value]
    return values
