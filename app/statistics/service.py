"""Population statistics as an agency asks for them: authorise, count, protect, audit, answer.

Each query is audited as aggregate access (operation ``statistics``, outcome
``aggregate``, no personal ID), so it never shows in a citizen's access log; a refused
query is audited as a refusal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from starlette.concurrency import run_in_threadpool

from app.audit.entries import disclosure, refusal
from app.audit.writer import AuditWriter
from app.auth.principal import Principal, PurposePolicy
from app.auth.service import authorize
from app.db import Database
from app.models.enums import Operation, Sector
from app.problems import ProblemError
from app.statistics import repository
from app.statistics.dimensions import Category, Dimension
from app.statistics.disclosure import ProtectedTable, protect, unprotected
from app.statistics.errors import DimensionNotAllowedError, DisclosureControlRequiredError
from app.statistics.query import Asked, Checked, check

logger = logging.getLogger("popreg.statistics")

AUDIT_OPERATION = "statistics"
AUDIT_OUTCOME = "aggregate"
# The sandbox admin token: the only caller that may turn disclosure control off.
ADMIN = Principal(
    agency_id=0, agency_code="popreg-admin", sector=Sector.MINISTRY, credential="admin_token"
)
ADMIN_PURPOSE = "registry_administration"


@dataclass(frozen=True, slots=True)
class PopulationTable:
    """A published table: what was asked, the categories and the protected counts."""

    checked: Checked
    table: ProtectedTable

    @property
    def dimensions(self) -> list[tuple[Dimension, list[Category]]]:
        return self.checked.dimensions


def today() -> date:
    return datetime.now(UTC).date()


def _purpose(
    principal: Principal, purpose: str | None, asked: Asked, *, exact_allowed: bool
) -> PurposePolicy | None:
    """The policy the query is made under (None for the admin token), or the 4xx refusing it."""
    if not asked.disclosure_control and not (principal is ADMIN and exact_allowed):
        raise DisclosureControlRequiredError(
            "Only the sandbox admin token may turn disclosure control off "
            "(the workshop demonstration, docs/statistics.md); never in hardened mode."
        )
    if principal is ADMIN:
        return None
    return authorize(principal, purpose, Operation.STATISTICS)


def _check_fields(policy: PurposePolicy, checked: Checked) -> None:
    """A purpose groups and filters only by what its fields cover."""
    missing = sorted(field.value for field in checked.fields - set(policy.fields))
    if missing:
        raise DimensionNotAllowedError(
            f"Purpose {policy.code!r} may not group or filter by what needs "
            f"{', '.join(missing)} (it holds: {', '.join(f.value for f in policy.fields)}).",
            extensions={"missing_fields": missing},
        )


def table_cells(checked: Checked, rows: list[tuple[tuple[str, ...], int]]) -> np.ndarray[Any, Any]:
    """The counts as an array over the categories (combinations nobody is in stay 0)."""
    positions = [
        {category.code: i for i, category in enumerate(found)} for _, found in checked.dimensions
    ]
    cells = np.zeros([len(found) for _, found in checked.dimensions], dtype=np.int64)
    for codes, count in rows:
        try:
            index = tuple(position[code] for position, code in zip(positions, codes, strict=True))
        except KeyError as exc:
            # Ward codes are checked against the reference table on every write, so a code
            # outside it is a broken row; counting it nowhere would make tables disagree.
            raise RuntimeError(f"a citizen row has a {exc.args[0]!r} code no category has") from exc
        cells[index] += count
    return cells


def _compute(database: Database, checked: Checked) -> ProtectedTable:
    rows = repository.count_table(database.engine, checked.table)
    cells = table_cells(checked, rows)
    if not checked.disclosure_control:
        return unprotected(cells)
    return protect(cells, k=checked.k, rounding_base=checked.rounding_base)


def _detail(checked: Checked, table: ProtectedTable) -> dict[str, Any]:
    query = checked.table
    detail: dict[str, Any] = {
        "group_by": [d.value for d in query.group_by],
        "filters": {d.value: list(codes) for d, codes in query.filters.items()},
        "age_bands": query.age_bands.value,
        "as_of": query.as_of.isoformat(),
        "vital_status": query.vital_status.value,
        "cells": checked.cells,
        "disclosure_control": "on" if checked.disclosure_control else "off",
    }
    for name in ("age_min", "age_max"):
        if getattr(query, name) is not None:
            detail["filters"][name] = getattr(query, name)
    if checked.disclosure_control:
        detail.update(
            k=table.k,
            rounding_base=table.rounding_base,
            suppressed={"primary": table.primary, "secondary": table.secondary},
        )
    return detail


async def population(
    database: Database,
    audit: AuditWriter,
    principal: Principal,
    purpose: str | None,
    asked: Asked,
    request_id: str | None,
    *,
    min_k: int,
    exact_allowed: bool,
) -> PopulationTable:
    """Count the population as asked, protect the table and audit the query before answering."""
    try:
        policy = _purpose(principal, purpose, asked, exact_allowed=exact_allowed)
        checked = check(asked, today=today(), min_k=min_k)
        if policy is not None:
            _check_fields(policy, checked)
        table = await run_in_threadpool(_compute, database, checked)
    except ProblemError as error:
        detail = {"group_by": asked.group_by[:5], "disclosure_control": asked.disclosure_control}
        await audit.record(
            refusal(principal, purpose, AUDIT_OPERATION, request_id, error, detail=detail)
        )
        raise
    if table.relaxed:
        logger.info(
            "statistics flags withheld",
            extra={"fields": {"relaxed": table.relaxed, "cells": checked.cells}},
        )
    await audit.record(
        disclosure(
            principal,
            ADMIN_PURPOSE if policy is None else policy.code,
            AUDIT_OPERATION,
            request_id,
            personal_id=None,
            fields=sorted(field.value for field in checked.fields),
            outcome=AUDIT_OUTCOME,
            detail=_detail(checked, table),
        )
    )
    return PopulationTable(checked, table)
