"""Bulk cleaning jobs: the job, and its input and results in chunks of rows.

The input is stored chunk by chunk as the upload streams in; workers claim
chunks (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), and a chunk's results are
written in the same transaction that marks it done, so a crash never loses
or doubles a row.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, enum_column, utcnow


class JobState(StrEnum):
    RECEIVING = "receiving"  # upload in progress; chunks already being processed
    QUEUED = "queued"  # upload complete, no chunk processed yet
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


class ChunkState(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    DONE = "done"


class CleaningJob(Base):
    __tablename__ = "cleaning_job"
    __table_args__ = (Index("ix_cleaning_job_agency_code_created_at", "agency_code", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(40))
    sector: Mapped[str] = mapped_column(String(24))
    input_format: Mapped[str] = mapped_column(String(8))
    # Registry field -> the organisation's column; the fields checked; the fields
    # whose registry value may be returned as a correction.
    mapping: Mapped[dict[str, str]] = mapped_column(JSON)
    checked: Mapped[list[str]] = mapped_column(JSON)
    correctable: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[JobState] = mapped_column(enum_column(JobState, "job_state"))
    rows_received: Mapped[int] = mapped_column(Integer, default=0)
    rows_processed: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    request_id: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Moved on by every stored chunk: an upload whose sender went away stops moving.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class CleaningChunk(Base):
    __tablename__ = "cleaning_chunk"
    __table_args__ = (Index("ix_cleaning_chunk_state_lease_until", "state", "lease_until"),)

    job_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("cleaning_job.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    first_row: Mapped[int] = mapped_column(Integer)
    row_count: Mapped[int] = mapped_column(Integer)
    state: Mapped[ChunkState] = mapped_column(enum_column(ChunkState, "chunk_state"))
    # zlib-compressed NDJSON: the parsed input rows, then the result rows.
    input: Mapped[bytes] = mapped_column(LargeBinary)
    results: Mapped[bytes | None] = mapped_column(LargeBinary)
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column()
