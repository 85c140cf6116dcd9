"""Cohort extracts: the job, and its cohort's citizens in chunks with their rendered rows.

The cohort's citizen ids are fixed when the extract is accepted (stored chunk by
chunk with the job, in one transaction); workers claim chunks like cleaning
chunks (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and store a chunk's rows in
the same transaction as its per-citizen audit records and its ``done`` mark, so
a crash never loses, doubles or leaves unaudited a citizen's row.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, enum_column, utcnow
from app.models.cleaning import ChunkState


class ExtractState(StrEnum):
    QUEUED = "queued"  # accepted, no chunk rendered yet
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


class ExtractJob(Base):
    __tablename__ = "extract_job"
    __table_args__ = (Index("ix_extract_job_agency_code_created_at", "agency_code", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(40))
    # The validated cohort filter, with its reference date filled in.
    cohort: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The purpose's fields when the extract was accepted: the columns of every row.
    fields: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[ExtractState] = mapped_column(enum_column(ExtractState, "extract_state"))
    rows_total: Mapped[int] = mapped_column(Integer)  # citizens in the cohort
    rows_processed: Mapped[int] = mapped_column(Integer, default=0)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class ExtractChunk(Base):
    __tablename__ = "extract_chunk"
    __table_args__ = (Index("ix_extract_chunk_state_lease_until", "state", "lease_until"),)

    job_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("extract_job.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    row_count: Mapped[int] = mapped_column(Integer)
    state: Mapped[ChunkState] = mapped_column(enum_column(ChunkState, "chunk_state"))
    # zlib-compressed: the citizen ids (64-bit little-endian), then the rows as NDJSON.
    citizen_ids: Mapped[bytes] = mapped_column(LargeBinary)
    rows: Mapped[bytes | None] = mapped_column(LargeBinary)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column()
