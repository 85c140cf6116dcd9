"""Request and response bodies of the agency API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict, StrictBool, StrictInt
from pydantic.config import JsonDict

from app.models.enums import CitizenField, Operation, Sector

CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$"
PURPOSE_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PurposeWrite(Schema):
    description: str = Field(min_length=3, max_length=500)
    legal_basis: str | None = Field(default=None, max_length=300)
    operations: list[Operation] = Field(min_length=1)
    fields: list[CitizenField]
    consent_required: StrictBool = False  # JSON true/false, never 0/1

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "description": "Verify a new subscriber's identity at SIM registration",
                "legal_basis": "Decree 163/2024/ND-CP",
                "operations": ["verify", "batch_verify", "clean"],
                "fields": ["personal_id", "full_name", "birth_date", "phone"],
                "consent_required": False,
            }
        }
    )


class PurposeRead(PurposeWrite):
    code: str = Field(examples=["subscriber_verification"])


PURPOSE_EXAMPLE: JsonDict = {
    "code": "subscriber_verification",
    "description": "Verify a new subscriber's identity at SIM registration",
    "legal_basis": "Decree 163/2024/ND-CP",
    "operations": ["batch_verify", "clean", "verify"],
    "fields": ["personal_id", "full_name", "birth_date", "phone"],
    "consent_required": False,
}
AGENCY_EXAMPLE: JsonDict = {
    "code": "saomai-telecom",
    "name": "Sao Mai Telecom (demo)",
    "sector": "telecom",
    "active": True,
    "purposes": [PURPOSE_EXAMPLE],
    "rate_per_second": 1000.0,
    "burst": 2000,
    "daily_quota": None,
}
KEY_EXAMPLE: JsonDict = {
    "prefix": "prk_3f9a1c2b",
    "api_key": "prk_3f9a1c2b_Xq2v…",
    "label": "rotation 2026-11",
}


class ApiKeyRead(Schema):
    prefix: str = Field(examples=["prk_3f9a1c2b"])
    label: str | None
    created_at: datetime
    revoked_at: datetime | None


class AgencyLimits(Schema):
    """Token bucket (`rate_per_second`, `burst`) and daily quota; over them: 429."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"rate_per_second": 50, "burst": 100, "daily_quota": 100000}}
    )

    # Strict: `"daily_quota": false` must not become a quota of 0.
    rate_per_second: Annotated[float, Strict()] = Field(default=50.0, gt=0, le=1_000_000)
    burst: StrictInt = Field(default=100, ge=1, le=10_000_000)
    daily_quota: StrictInt | None = Field(
        default=None,
        ge=0,
        le=1_000_000_000,  # the column is a 32-bit integer on PostgreSQL
        description="Requests per UTC day; null: unlimited.",
    )


class AgencyCreate(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "code": "hanoi-credit-fund",
                "name": "Quỹ Tín dụng Hà Nội (test)",
                "sector": "bank",
                "purposes": {
                    "kyc_onboarding": {
                        "description": "Verify new members",
                        "operations": ["lookup", "verify"],
                        "fields": ["personal_id", "full_name", "birth_date"],
                    }
                },
                "limits": {"rate_per_second": 20, "burst": 40, "daily_quota": 50000},
            }
        }
    )

    code: str = Field(pattern=CODE_PATTERN, examples=["saomai-telecom"])
    name: str = Field(min_length=2, max_length=200, examples=["Sao Mai Telecom (demo)"])
    sector: Sector
    contact_email: str | None = Field(default=None, max_length=254)
    purposes: dict[str, PurposeWrite] = Field(
        default_factory=dict, description="Purposes keyed by their code."
    )
    limits: AgencyLimits = Field(default_factory=AgencyLimits)


class AgencyRead(Schema):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"example": AGENCY_EXAMPLE})

    code: str
    name: str
    sector: Sector
    active: bool
    purposes: list[PurposeRead]
    rate_per_second: float
    burst: int
    daily_quota: int | None


class AgencyAdminRead(AgencyRead):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                **AGENCY_EXAMPLE,
                "api_keys": [
                    {
                        "prefix": "prk_f57eb7a3",
                        "label": "initial",
                        "created_at": "2026-11-22T15:08:00Z",
                        "revoked_at": None,
                    }
                ],
            }
        },
    )

    api_keys: list[ApiKeyRead]


class ApiKeyCreated(Schema):
    """The new key. Its secret is shown only in this response: store it now."""

    model_config = ConfigDict(json_schema_extra={"example": KEY_EXAMPLE})

    prefix: str
    api_key: str = Field(description="The full key for the `X-API-Key` header.")
    label: str | None = None


class AgencyCreated(AgencyAdminRead):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"example": {**AGENCY_EXAMPLE, "api_keys": [], "api_key": KEY_EXAMPLE}},
    )

    api_key: ApiKeyCreated


class ApiKeyCreate(Schema):
    model_config = ConfigDict(json_schema_extra={"example": {"label": "rotation 2026-11"}})

    label: str | None = Field(default=None, max_length=100)
