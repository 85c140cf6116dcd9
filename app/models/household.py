"""Households (hộ gia đình): the unit of residence registration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigIntPK, TimestampMixin

if TYPE_CHECKING:
    from app.models.citizen import Citizen


class Household(TimestampMixin, Base):
    __tablename__ = "household"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    household_number: Mapped[str] = mapped_column(String(12), unique=True)
    residence_file_number: Mapped[str | None] = mapped_column(String(20))
    # The household's permanent residence, legacy 3-level and 2025 2-level.
    address: Mapped[str] = mapped_column(String(300))
    address_2025: Mapped[str | None] = mapped_column(String(300))
    legacy_ward_code: Mapped[str | None] = mapped_column(String(5))
    ward_code: Mapped[str | None] = mapped_column(String(5))

    members: Mapped[list[Citizen]] = relationship(
        back_populates="household", lazy="raise", foreign_keys="Citizen.household_id"
    )
