"""Who is calling: an agency with the purposes it may act under."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from app.limits.policy import DEFAULT_LIMITS, LimitPolicy
from app.models.enums import CitizenField, Operation, Sector


@dataclass(frozen=True, slots=True)
class PurposePolicy:
    """One purpose: the operations it allows and the fields it may receive or check."""

    code: str
    operations: frozenset[Operation]
    fields: tuple[CitizenField, ...]
    consent_required: bool = False

    def allows(self, operation: Operation) -> bool:
        return operation in self.operations


@dataclass(frozen=True, slots=True)
class Principal:
    agency_id: int
    agency_code: str
    sector: Sector
    purposes: dict[str, PurposePolicy] = field(default_factory=dict)
    credential: Literal["api_key", "oauth2", "admin_token"] = "api_key"
    credential_id: str = ""  # key prefix or token id, for audit and logs
    limits: LimitPolicy = DEFAULT_LIMITS

    def restricted_to(self, scopes: frozenset[str]) -> Principal:
        """The same agency, with only the purposes a token's scopes name."""
        return Principal(
            agency_id=self.agency_id,
            agency_code=self.agency_code,
            sector=self.sector,
            purposes={code: p for code, p in self.purposes.items() if code in scopes},
            credential="oauth2",
            credential_id=self.credential_id,
            limits=self.limits,
        )
