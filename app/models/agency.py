"""Agencies that call the registry, their API keys and their purpose-bound policies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, false, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigIntPK, TimestampMixin, enum_column
from app.models.enums import Sector


class Agency(TimestampMixin, Base):
    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    sector: Mapped[Sector] = mapped_column(enum_column(Sector, "sector"))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Rate limits (app/limits): a token bucket of ``burst`` refilled at ``rate_per_second``,
    # and at most ``daily_quota`` requests per UTC day (None: unlimited).
    rate_per_second: Mapped[float] = mapped_column(default=50.0, server_default=text("50"))
    burst: Mapped[int] = mapped_column(default=100, server_default=text("100"))
    daily_quota: Mapped[int | None] = mapped_column()

    purposes: Mapped[list[AgencyPurpose]] = relationship(
        back_populates="agency", lazy="raise", order_by="AgencyPurpose.code"
    )
    api_keys: Mapped[list[ApiKey]] = relationship(back_populates="agency", lazy="raise")


class AgencyPurpose(TimestampMixin, Base):
    """One purpose of an agency: the operations it may call and the fields it may receive."""

    __tablename__ = "agency_purpose"
    __table_args__ = (UniqueConstraint("agency_id", "code"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(500))
    legal_basis: Mapped[str | None] = mapped_column(String(300))
    # Lists of Operation values and of citizen field names (app/agencies/policy.py).
    operations: Mapped[list[str]] = mapped_column(JSON)
    fields: Mapped[list[str]] = mapped_column(JSON)
    consent_required: Mapped[bool] = mapped_column(default=False, server_default=false())

    agency: Mapped[Agency] = relationship(back_populates="purposes", lazy="raise")


class ApiKey(Base):
    """An API key, stored as a SHA-256 hash; the prefix identifies it in lists and logs."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(24), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    agency: Mapped[Agency] = relationship(back_populates="api_keys", lazy="raise")
