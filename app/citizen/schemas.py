from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict


class CitizenLogin(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"personal_id": "079085000103", "code": "123456"}},
    )

    personal_id: str = Field(max_length=32)
    code: str = Field(max_length=32, description="The sandbox one-time code (see README).")


class CitizenToken(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "access_token": "eyJhbGciOiJSUzI1NiIsImtpZCI6…",
                "token_type": "Bearer",
                "expires_in": 900,
            }
        }
    )

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a scheme name, not a secret
    expires_in: int


ACCESS_RECORD_EXAMPLE: JsonDict = {
    "seq": 1042,
    "when": "2026-11-22T15:40:20.123456Z",
    "agency": "honglinh-hospital",
    "agency_name": "Bệnh viện Đa khoa Hồng Lĩnh (demo)",
    "purpose": "patient_checkin",
    "operation": "lookup",
    "outcome": "disclosed",
    "fields": ["personal_id", "full_name", "birth_date"],
    "summary": "Bệnh viện Đa khoa Hồng Lĩnh (demo) read your personal ID number, "
    "full name and date of birth for “Check in a patient by chip card”.",
}


class AccessRecord(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": ACCESS_RECORD_EXAMPLE})

    seq: int
    when: str
    agency: str | None
    agency_name: str | None
    purpose: str | None
    operation: str
    outcome: str
    fields: list[str]
    summary: str = Field(description="The record in plain words.")


class AccessLog(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"records": [ACCESS_RECORD_EXAMPLE], "next_before": None}}
    )

    records: list[AccessRecord]
    next_before: int | None = Field(description="Pass as `before` for older records.")


class ConsentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"agency": "phusa-bank", "purpose": "contact_update", "days": 90}
        },
    )

    agency: str = Field(max_length=40)
    purpose: str = Field(max_length=40)
    days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="Expires after so many days; none: until withdrawn.",
    )


class ConsentRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "id": 7,
                "agency": "phusa-bank",
                "purpose": "contact_update",
                "granted_at": "2026-11-22T15:40:20Z",
                "expires_at": "2026-12-22T15:40:20Z",
                "withdrawn_at": None,
                "status": "live",
            }
        },
    )

    id: int
    agency: str
    purpose: str
    granted_at: datetime
    expires_at: datetime | None
    withdrawn_at: datetime | None
    status: Literal["live", "expired", "withdrawn"]


WALLET_EXAMPLE: JsonDict = {
    "personal_id": "079085000103",
    "documents": [
        {
            "kind": "identity_card",
            "title": "Căn cước công dân gắn chip / Chip-based citizen identity card",
            "number": "079085000103",
            "status": "valid",
            "valid_from": "2021-04-01",
            "valid_until": "2025-09-02",
            "data": {"card_kind": "cccd_chip", "has_chip": True},
            "source_agency": None,
            "source_agency_name": "Cục Cảnh sát QLHC về TTXH",
            "version": None,
            "updated_at": None,
        },
        {
            "kind": "driving_licence",
            "title": "Giấy phép lái xe / Driving licence",
            "number": "790123456789",
            "status": "valid",
            "valid_from": "2019-06-14",
            "valid_until": None,
            "data": {"classes": ["A1", "B"], "issued_by": "Sở GTVT TP Hồ Chí Minh"},
            "source_agency": "transport-licensing-demo",
            "source_agency_name": "Sở Giao thông Vận tải Tỉnh Demo (demo)",
            "version": 2,
            "updated_at": "2026-11-22T09:15:02Z",
        },
    ],
}


class WalletDocument(BaseModel):
    kind: str = Field(description="`identity_card`, or a sector record kind (docs/records.md).")
    title: str = Field(description="Vietnamese / English name of the document.")
    number: str
    status: Literal["valid", "expired", "suspended", "revoked"]
    valid_from: str | None = Field(description="The issue date of an identity card.")
    valid_until: str | None
    data: dict[str, Any] = Field(description="What the document says besides its number.")
    source_agency: str | None = Field(
        description="The agency code that pushed the record; null for the identity card."
    )
    source_agency_name: str | None
    version: int | None
    updated_at: str | None = Field(
        description="When the source agency last changed the record; null for the card."
    )


class Wallet(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": WALLET_EXAMPLE})

    personal_id: str
    documents: list[WalletDocument] = Field(
        description="The card in use first, then sector records by kind."
    )
