"""Sandbox fault rules: misbehaviour an integrator asked for, shared by every server process."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class FaultRule(Base):
    """One rule: which requests (agency, route, methods), how often, and what goes wrong.

    Each process caches the rules and re-reads them about once a second; ``hits``
    is the sum of the injections every process has flushed so far.
    """

    __tablename__ = "fault_rule"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agency_code: Mapped[str | None] = mapped_column(String(40))  # None: any caller
    route: Mapped[str] = mapped_column(String(200))  # a glob over the path
    methods: Mapped[list[str]] = mapped_column(JSON)  # empty: any method
    probability: Mapped[float] = mapped_column(Float)
    effect: Mapped[dict[str, Any]] = mapped_column(JSON)  # app/sandbox/faults_schemas.py
    description: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    hits: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
