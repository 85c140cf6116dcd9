"""SQL of the sandbox endpoints."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Citizen


def citizens_by_id(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """``id → (personal_id, full_name)`` of the citizens with these ids."""
    rows = session.execute(
        select(Citizen.id, Citizen.personal_id, Citizen.full_name).where(Citizen.id.in_(ids))
    )
    return {row.id: (row.personal_id, row.full_name) for row in rows}
