"""Consents: a citizen lets one agency act under one purpose, until withdrawn or expired."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigIntPK


class Consent(Base):
    __tablename__ = "consent"
    __table_args__ = (
        Index(
            "ix_consent_personal_id_agency_code_purpose", "personal_id", "agency_code", "purpose"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # By personal ID (not row id): consent outlives record corrections and is what
    # the citizen gives; agency by code, as policies name them.
    personal_id: Mapped[str] = mapped_column(String(12))
    agency_code: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(40))
    granted_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    withdrawn_at: Mapped[datetime | None] = mapped_column()
