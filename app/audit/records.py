"""Audit records and their hash chain: pure functions, no I/O.

Each record's hash is SHA-256 over a canonical JSON encoding (sorted keys, no
spaces, UTF-8) of its sequence number, its content and the previous hash, so
changing, removing or reordering any record breaks every hash after it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

GENESIS_HASH = "0" * 64
CONTENT_COLUMNS = (
    "occurred_at",
    "agency_code",
    "purpose",
    "operation",
    "personal_id",
    "fields",
    "outcome",
    "code",
    "request_id",
    "detail",
)


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What happened, before it has a place in the chain."""

    operation: str
    outcome: str
    agency_code: str | None = None
    purpose: str | None = None
    personal_id: str | None = None
    fields: tuple[str, ...] = ()
    code: str | None = None
    request_id: str | None = None
    detail: Mapping[str, Any] | None = None
    occurred_at: str = field(default_factory=now_text)

    def content(self) -> dict[str, Any]:
        return {
            "occurred_at": self.occurred_at,
            "agency_code": self.agency_code,
            "purpose": self.purpose,
            "operation": self.operation,
            "personal_id": self.personal_id,
            "fields": list(self.fields),
            "outcome": self.outcome,
            "code": self.code,
            "request_id": self.request_id,
            "detail": dict(self.detail) if self.detail is not None else None,
        }


def record_hash(seq: int, content: Mapping[str, Any], prev_hash: str) -> str:
    document = {column: content[column] for column in CONTENT_COLUMNS}
    document["seq"] = seq
    document["prev_hash"] = prev_hash
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def chain(entries: Sequence[AuditEntry], head_seq: int, head_hash: str) -> list[dict[str, Any]]:
    """Rows for ``entries`` appended after the head: seq, content, prev_hash, hash."""
    rows = []
    prev_hash = head_hash
    for offset, entry in enumerate(entries, start=1):
        content = entry.content()
        seq = head_seq + offset
        digest = record_hash(seq, content, prev_hash)
        rows.append({"seq": seq, **content, "prev_hash": prev_hash, "hash": digest})
        prev_hash = digest
    return rows


@dataclass(frozen=True, slots=True)
class ChainBreak:
    seq: int
    problem: str


def check_link(row: Mapping[str, Any], expected_seq: int, prev_hash: str) -> ChainBreak | None:
    """Whether ``row`` follows a record whose hash is ``prev_hash`` at ``expected_seq - 1``."""
    seq = int(row["seq"])
    if seq != expected_seq:
        return ChainBreak(expected_seq, f"record {expected_seq} is missing (next is {seq})")
    if row["prev_hash"] != prev_hash:
        return ChainBreak(
            seq, "previous-hash link broken: a record before it was removed, changed or reordered"
        )
    if record_hash(seq, row, row["prev_hash"]) != row["hash"]:
        return ChainBreak(seq, "content does not match its hash: the record was altered")
    return None
