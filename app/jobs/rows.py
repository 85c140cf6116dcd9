"""Reading job rows, for any job table with ``id``, ``agency_code`` and ``created_at``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from app.models.base import Base


def get_job(connection: Connection, model: type[Base], job_id: str) -> dict[str, Any] | None:
    row = connection.execute(select(model).where(model.id == job_id)).first()  # type: ignore[attr-defined]
    return None if row is None else dict(row._mapping)


def list_jobs(
    connection: Connection, model: type[Base], agency_code: str, limit: int
) -> list[dict[str, Any]]:
    """The agency's jobs, newest first."""
    rows = connection.execute(
        select(model)
        .where(model.agency_code == agency_code)  # type: ignore[attr-defined]
        .order_by(model.created_at.desc())  # type: ignore[attr-defined]
        .limit(limit)
    ).all()
    return [dict(row._mapping) for row in rows]
