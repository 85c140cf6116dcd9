"""SQLAlchemy models; importing this package registers every table on ``Base.metadata``."""

from app.models.agency import Agency
from app.models.base import Base
from app.models.citizen import Citizen, IdentityCard
from app.models.enums import (
    BirthDatePrecision,
    CardKind,
    MaritalStatus,
    Sector,
    Sex,
    VneidLevel,
)
from app.models.household import Household

__all__ = [
    "Agency",
    "Base",
    "BirthDatePrecision",
    "CardKind",
    "Citizen",
    "Household",
    "IdentityCard",
    "MaritalStatus",
    "Sector",
    "Sex",
    "VneidLevel",
]
