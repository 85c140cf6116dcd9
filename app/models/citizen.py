"""Citizens and their identity cards: the 26 fields of Article 9 of the 2023 Identity Law.

Plus sandbox-only links to sector databases (social insurance, health insurance,
tax) and the VNeID account level, which connectors ask about.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, SmallInteger, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigIntPK, TimestampMixin, enum_column
from app.models.enums import BirthDatePrecision, CardKind, MaritalStatus, Sex

if TYPE_CHECKING:
    from app.models.household import Household


# Family links and household membership are bulk-loaded in any order by the
# seeder, so those foreign keys are checked at commit, not per row.
def _deferred_fk(target: str, *, ondelete: str) -> ForeignKey:
    return ForeignKey(target, ondelete=ondelete, deferrable=True, initially="DEFERRED")


def _family_link() -> Mapped[int | None]:
    return mapped_column(_deferred_fk("citizen.id", ondelete="SET NULL"), index=True)


VERIFICATION_INDEX = (
    "personal_id",
    "full_name",
    "birth_date",
    "birth_date_precision",
    "sex",
    "phone",
    "legacy_id",
    "death_date",
    "disappearance_date",
    "id",
)


class Citizen(TimestampMixin, Base):
    __tablename__ = "citizen"
    __table_args__ = (
        CheckConstraint("length(personal_id) = 12", name="personal_id_length"),
        CheckConstraint("vneid_level IN (0, 1, 2)", name="vneid_level"),
        Index("ix_citizen_full_name_birth_date", "full_name", "birth_date"),
        # Covers what verification reads of a citizen found by personal ID
        # (app/identity/repository.VERIFICATION_COLUMNS): a bulk clean-up of a million
        # rows reads them from this index alone, not from a million random table pages.
        Index("ix_citizen_verification", *VERIFICATION_INDEX),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)

    # 3. personal ID number; 1-2. names
    personal_id: Mapped[str] = mapped_column(String(12), unique=True)
    full_name: Mapped[str] = mapped_column(String(100))
    other_names: Mapped[str | None] = mapped_column(String(200))
    # 4-5. date of birth (year-only records store 1 January), sex
    birth_date: Mapped[date] = mapped_column(Date)
    birth_date_precision: Mapped[BirthDatePrecision] = mapped_column(
        enum_column(BirthDatePrecision, "birth_date_precision"),
        default=BirthDatePrecision.FULL,
    )
    sex: Mapped[Sex] = mapped_column(enum_column(Sex, "sex"))
    # 6-8. place of birth, birth-registration province (3-digit code), hometown
    place_of_birth: Mapped[str] = mapped_column(String(300))
    birth_registration_province_code: Mapped[str] = mapped_column(String(3))
    hometown: Mapped[str | None] = mapped_column(String(300))
    # 9-12
    ethnicity: Mapped[str] = mapped_column(String(50))
    religion: Mapped[str | None] = mapped_column(String(50))
    nationality: Mapped[str] = mapped_column(String(50), default="Việt Nam")
    blood_type: Mapped[str | None] = mapped_column(String(3))
    # 13. old 9-digit ID (CMND); not unique: a range was issued twice
    legacy_id: Mapped[str | None] = mapped_column(String(9), index=True)
    # 15. father, mother, spouse, legal representative (children are derived)
    father_id: Mapped[int | None] = _family_link()
    mother_id: Mapped[int | None] = _family_link()
    spouse_id: Mapped[int | None] = _family_link()
    guardian_id: Mapped[int | None] = _family_link()
    # 16-18. residences, each as legacy 3-level text, 2025 2-level text and ward codes
    permanent_address: Mapped[str] = mapped_column(String(300))
    permanent_address_2025: Mapped[str | None] = mapped_column(String(300))
    permanent_legacy_ward_code: Mapped[str | None] = mapped_column(String(5))
    permanent_ward_code: Mapped[str | None] = mapped_column(String(5))
    temporary_address: Mapped[str | None] = mapped_column(String(300))
    temporary_address_2025: Mapped[str | None] = mapped_column(String(300))
    temporary_legacy_ward_code: Mapped[str | None] = mapped_column(String(5))
    temporary_ward_code: Mapped[str | None] = mapped_column(String(5))
    current_address: Mapped[str | None] = mapped_column(String(300))
    current_address_2025: Mapped[str | None] = mapped_column(String(300))
    current_legacy_ward_code: Mapped[str | None] = mapped_column(String(5))
    current_ward_code: Mapped[str | None] = mapped_column(String(5))
    # 19. temporary absence; 20. residence file number
    temporarily_absent: Mapped[bool] = mapped_column(default=False, server_default=false())
    residence_file_number: Mapped[str | None] = mapped_column(String(20))
    # 21-23. marital status, household and relationship to its head
    marital_status: Mapped[MaritalStatus] = mapped_column(
        enum_column(MaritalStatus, "marital_status"), default=MaritalStatus.SINGLE
    )
    household_id: Mapped[int | None] = mapped_column(
        _deferred_fk("household.id", ondelete="SET NULL"), index=True
    )
    relationship_to_head: Mapped[str | None] = mapped_column(String(30))
    # 24. date of death or of disappearance
    death_date: Mapped[date | None] = mapped_column(Date)
    disappearance_date: Mapped[date | None] = mapped_column(Date)
    # 25. mobile number and email (a number can be shared, so not unique)
    phone: Mapped[str | None] = mapped_column(String(10), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    # Sandbox-only links to sector databases, keyed by the personal ID in reality.
    social_insurance_number: Mapped[str | None] = mapped_column(String(10))
    health_insurance_card: Mapped[str | None] = mapped_column(String(15))
    tax_code: Mapped[str | None] = mapped_column(String(14))
    vneid_level: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")

    household: Mapped[Household | None] = relationship(
        back_populates="members", lazy="raise", foreign_keys=[household_id]
    )
    cards: Mapped[list[IdentityCard]] = relationship(
        back_populates="citizen", lazy="raise", order_by="IdentityCard.issued_on"
    )


class IdentityCard(Base):
    """14. Every card issued to a citizen: number, kind, issue date and place, expiry, chip."""

    __tablename__ = "identity_card"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(
        _deferred_fk("citizen.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(12), index=True)
    kind: Mapped[CardKind] = mapped_column(enum_column(CardKind, "card_kind"))
    issued_on: Mapped[date] = mapped_column(Date)
    issued_by: Mapped[str] = mapped_column(String(200))
    # No expiry for cards issued at 60 or later.
    expires_on: Mapped[date | None] = mapped_column(Date)
    has_chip: Mapped[bool] = mapped_column(default=False, server_default=false())

    citizen: Mapped[Citizen] = relationship(back_populates="cards", lazy="raise")
