"""The audit log: one hash-chained record per access, denial or share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigIntPK


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_agency_code_seq", "agency_code", "seq"),
        # No index on personal_id here: random keys would make every append rewrite
        # scattered pages. AuditSubject indexes citizens a moment later, off the hot path.
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


class AuditSubject(Base):
    """Which records concern which citizen, filled in batches by the ``AuditIndexer``.

    Records newer than ``AuditIndexState.seq`` are not here yet; queries by citizen
    read those from ``audit_event`` directly, so answers are always complete.
    """

    __tablename__ = "audit_subject"
    __table_args__ = ({"sqlite_with_rowid": False},)

    # seq // 1,000,000: new entries go to the newest bucket's small subtree.
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    personal_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class AuditIndexState(Base):
    """The last audit ``seq`` whose citizen is in ``audit_subject``."""

    __tablename__ = "audit_index_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
