"""Sector records: documents other agencies hold about a citizen, linked by the personal ID.

Health- and social-insurance, driving licences, vehicle registrations, tax registration
and vaccinations are pushed by the agency that issues them (``Operation.ENRICH``).
``sector_record`` holds each record's current state; ``sector_record_version`` keeps
every state it has had, with who changed it and when.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigIntPK, TimestampMixin, enum_column, utcnow


class RecordKind(StrEnum):
    HEALTH_INSURANCE = "health_insurance"
    SOCIAL_INSURANCE = "social_insurance"
    DRIVING_LICENCE = "driving_licence"
    VEHICLE_REGISTRATION = "vehicle_registration"
    TAX_REGISTRATION = "tax_registration"
    VACCINATION = "vaccination"


class RecordStatus(StrEnum):
    """What the issuing agency says of the record today."""

    VALID = "valid"
    EXPIRED = "expired"
    SUSPENDED = "suspended"  # e.g. a licence withdrawn for a time, unpaid insurance
    REVOKED = "revoked"  # cancelled for good (a deregistered vehicle, a closed tax code)


class SectorRecord(TimestampMixin, Base):
    """The current state of one record; a change bumps ``version`` and appends a version row.

    Single-valued kinds (one health-insurance card, …) have ``key`` ''; multi-valued
    kinds (vehicles, vaccinations) are keyed by the record's number.
    """

    __tablename__ = "sector_record"
    __table_args__ = (UniqueConstraint("citizen_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"))
    kind: Mapped[RecordKind] = mapped_column(enum_column(RecordKind, "record_kind"))
    key: Mapped[str] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(40))
    status: Mapped[RecordStatus] = mapped_column(enum_column(RecordStatus, "record_status"))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    # Kind-specific fields (licence classes, plate, vaccine, …), app/records/kinds.py.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    agency_code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)


class SectorRecordVersion(Base):
    """One state of a record, append-only: the snapshot, what changed, who, when."""

    __tablename__ = "sector_record_version"
    __table_args__ = (UniqueConstraint("record_id", "version"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("sector_record.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    # number, status, valid_from, valid_until and data as they were after this change.
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_fields: Mapped[list[str]] = mapped_column(JSON)
    agency_code: Mapped[str] = mapped_column(String(40))
    request_id: Mapped[str | None] = mapped_column(String(128))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
