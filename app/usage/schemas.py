"""Response bodies of the usage API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class OperationUsageRead(Schema):
    operation: str = Field(examples=["batch_verify"])
    verifications: int = Field(description="Verifications that compared fields (audit records).")
    fields_checked: int = Field(description="Fields compared, the ID number included.")
    fee_vnd: int = Field(description="`fields_checked` × `fee_per_field_vnd`.")


class UsageRead(Schema):
    """What an agency used in one month, and the fee for it."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "agency_code": "saomai-telecom",
                "month": "2026-10",
                "operations": [
                    {
                        "operation": "verify",
                        "verifications": 2,
                        "fields_checked": 6,
                        "fee_vnd": 6000,
                    },
                    {
                        "operation": "batch_verify",
                        "verifications": 1000,
                        "fields_checked": 3000,
                        "fee_vnd": 3000000,
                    },
                ],
                "verifications": 1002,
                "fields_checked": 3006,
                "fee_vnd": 3006000,
                "fee_per_field_vnd": 1000,
                "currency": "VND",
                "fee_basis": "Circular 48/2022/TT-BTC",
            }
        }
    )

    agency_code: str
    month: str = Field(description="The calendar month (UTC), `YYYY-MM`.")
    operations: list[OperationUsageRead]
    verifications: int
    fields_checked: int
    fee_vnd: int
    fee_per_field_vnd: int
    currency: str = "VND"
    fee_basis: str = Field(description="The rule the fee follows.")
