"""A published table as a JSON document or as CSV: cells, then margins, then the total."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import numpy as np

from app.statistics.service import PopulationTable

TOTAL = "total"  # the code of a dimension a margin adds up over


def _rows(published: PopulationTable) -> Iterator[tuple[str, dict[str, Any]]]:
    """("cell" | "margin" | "total", row) for every position of the table with its margins."""
    table = published.table
    names = [dimension.value for dimension, _ in published.dimensions]
    codes = [[c.code for c in found] + [TOTAL] for _, found in published.dimensions]
    margins, totals = [], []
    for position in np.ndindex(*table.counts.shape):
        row: dict[str, Any] = {
            name: codes[axis][i] for axis, (name, i) in enumerate(zip(names, position, strict=True))
        }
        row["count"] = table.value(position)
        row["suppressed"] = table.flag(position)
        aggregated = sum(i == len(codes[axis]) - 1 for axis, i in enumerate(position))
        if aggregated == 0:
            yield "cell", row
        elif aggregated < len(names):
            margins.append(row)
        else:
            totals.append(row)
    for row in margins:
        yield "margin", row
    for row in totals:
        yield "total", row


def disclosure_control(published: PopulationTable) -> dict[str, Any]:
    table = published.table
    if table.k is None:
        flags = "none"
    else:
        flags = "primary_secondary" if table.flags_shown else "suppressed"
    return {
        "applied": table.k is not None,
        "k": table.k,
        "rounding_base": table.rounding_base,
        "primary": table.primary,
        "secondary": table.secondary,
        "flags": flags,
        "rules": "docs/statistics.md",
    }


def document(published: PopulationTable) -> dict[str, Any]:
    query = published.checked.table
    filters: dict[str, Any] = {d.value: list(codes) for d, codes in query.filters.items()}
    if query.age_min is not None:
        filters["age_min"] = query.age_min
    if query.age_max is not None:
        filters["age_max"] = query.age_max
    cells: list[dict[str, Any]] = []
    margins: list[dict[str, Any]] = []
    total: dict[str, Any] = {}
    for kind, row in _rows(published):
        if kind == "cell":
            cells.append(row)
        elif kind == "margin":
            margins.append(row)
        else:
            total = {"count": row["count"], "suppressed": row["suppressed"]}
    return {
        "group_by": [d.value for d in query.group_by],
        "filters": filters,
        "age_bands": query.age_bands.value,
        "as_of": query.as_of.isoformat(),
        "vital_status": query.vital_status.value,
        "disclosure_control": disclosure_control(published),
        "dimensions": [
            {
                "name": dimension.value,
                "categories": [{"code": c.code, "label": c.label} for c in found],
            }
            for dimension, found in published.dimensions
        ],
        "cells": cells,
        "margins": margins,
        "total": total,
    }


def csv_text(published: PopulationTable) -> str:
    """One header row (the dimensions, ``count``, ``suppressed``), then a row per position.

    Margins say ``total`` in the dimensions they add up over; a suppressed count is empty.
    """
    names = [dimension.value for dimension, _ in published.dimensions]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*names, "count", "suppressed"])
    for _, row in _rows(published):
        count = row["count"]
        writer.writerow(
            [
                *(row[name] for name in names),
                "" if count is None else count,
                row["suppressed"] or "",
            ]
        )
    return out.getvalue()
