"""Sandbox endpoints: the fixed test identities every seeded registry contains."""

from __future__ import annotations

from fastapi import APIRouter

from app.db import SessionDep
from app.sandbox.schemas import PersonaList
from app.sandbox.service import list_personas

router = APIRouter(prefix="/v1/sandbox", tags=["sandbox"])


@router.get("/personas", summary="Test personas")
def personas(session: SessionDep) -> PersonaList:
    """The documented test identities present in every seeded registry, and what each is for."""
    return list_personas(session)
