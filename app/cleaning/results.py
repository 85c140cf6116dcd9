"""Cleaning results as they leave: NDJSON lines or CSV rows, one per input row, in order."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from app.cleaning.processing import STATUSES


def csv_columns(checked: list[str], correctable: list[str]) -> list[str]:
    columns = ["row", "status", "reason", "personal_id"]
    for name in ["personal_id", *checked]:
        columns += [f"{name}_verdict", f"{name}_reason"]
    columns += [f"corrected_{name}" for name in correctable]
    return columns


def csv_rows(
    batches: Iterable[list[dict[str, Any]]], checked: list[str], correctable: list[str]
) -> Iterator[bytes]:
    """A header, then one CSV block per batch of results."""
    columns = csv_columns(checked, correctable)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    yield buffer.getvalue().encode()
    for results in batches:
        buffer.seek(0)
        buffer.truncate()
        for result in results:
            writer.writerow(_flat(result, checked, correctable))
        yield buffer.getvalue().encode()


def _flat(result: dict[str, Any], checked: list[str], correctable: list[str]) -> list[Any]:
    fields = result.get("fields", {})
    corrections = result.get("corrections", {})
    row: list[Any] = [
        result["row"],
        result["status"],
        result.get("reason") or "",
        result.get("personal_id") or "",
    ]
    for name in ["personal_id", *checked]:
        verdict = fields.get(name)
        row += [verdict["verdict"], verdict["reason"]] if verdict else ["", ""]
    row += [_text(corrections.get(name)) for name in correctable]
    return row


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def summary(counts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Counts by status (every status named, zeros included) and by reason, most first."""
    by_status = dict.fromkeys(STATUSES, 0)
    by_reason: dict[str, int] = {}
    fields_checked = 0
    for chunk in counts:
        for status, n in chunk.get("status", {}).items():
            by_status[status] = by_status.get(status, 0) + n
        for reason, n in chunk.get("reason", {}).items():
            by_reason[reason] = by_reason.get(reason, 0) + n
        fields_checked += chunk.get("fields_checked", 0)
    ordered = dict(sorted(by_reason.items(), key=lambda item: (-item[1], item[0])))
    return {"by_status": by_status, "by_reason": ordered, "fields_checked": fields_checked}
