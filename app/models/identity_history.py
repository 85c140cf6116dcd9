"""Personal ID numbers withdrawn after a correction (a number is never reused)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigIntPK, enum_column


class PersonalIdCorrection(StrEnum):
    """Why a number was re-issued: one of the facts encoded in it was recorded wrongly."""

    WRONG_BIRTH_YEAR = "wrong_birth_year"
    WRONG_SEX = "wrong_sex"
    WRONG_REGISTRATION_PLACE = "wrong_registration_place"


class PersonalIdHistory(Base):
    __tablename__ = "personal_id_history"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # Bulk-loaded with the citizens, so checked at commit like the family links.
    citizen_id: Mapped[int] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE", deferrable=True, initially="DEFERRED"),
        index=True,
    )
    previous_personal_id: Mapped[str] = mapped_column(String(12), unique=True)
    replaced_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[PersonalIdCorrection] = mapped_column(
        enum_column(PersonalIdCorrection, "personal_id_correction")
    )
