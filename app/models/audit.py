"""The audit log: one hash-chained record per access, denial or share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigIntPK


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_agency_code_seq", "agency_code", "seq"),
        Index("ix_audit_event_personal_id_seq", "personal_id", "seq"),
    )

    # Position in the chain: assigned under the chain lock, no gaps. On SQLite the
    # rowid itself, so appends touch no extra index.
    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=False)
    # ISO 8601 UTC text exactly as hashed, so verification never depends on a driver's dates.
    occurred_at: Mapped[str] = mapped_column(String(32))
    agency_code: Mapped[str | None] = mapped_column(String(40))
    purpose: Mapped[str | None] = mapped_column(String(40))
    operation: Mapped[str] = mapped_column(String(24))
    personal_id: Mapped[str | None] = mapped_column(String(12))
    fields: Mapped[list[str]] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(24))
    code: Mapped[str | None] = mapped_column(String(40))
    request_id: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    # Not indexed: verification walks by seq, and a random key would make every
    # append rewrite scattered index pages.
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The end of the chain; its row lock serialises appends across processes."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
