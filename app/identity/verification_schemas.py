"""Bodies of per-field verification (single and batch)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.identity.matching import Reason, Verdict

MAX_BATCH = 1000
ClaimText = Field(default=None, max_length=1000)


class Claims(BaseModel):
    """What the caller holds about the person; each field given is checked and billed."""

    model_config = ConfigDict(extra="forbid")

    full_name: str | None = ClaimText
    birth_date: str | None = Field(
        default=None, max_length=32, description="`YYYY-MM-DD`, `DD/MM/YYYY` or `YYYY`."
    )
    sex: str | None = Field(default=None, max_length=32, description="male/female, M/F, Nam/Nữ.")
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = ClaimText
    legacy_id: str | None = Field(default=None, max_length=32)
    nationality: str | None = ClaimText
    ethnicity: str | None = ClaimText
    place_of_birth: str | None = ClaimText
    hometown: str | None = ClaimText
    permanent_address: str | None = ClaimText
    current_address: str | None = ClaimText


class VerifyRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "purpose": "subscriber_verification",
                "personal_id": "079085000103",
                "claims": {"full_name": "TRAN MINH KHOI", "birth_date": "02/09/1985"},
            }
        },
    )

    purpose: str | None = Field(
        default=None, max_length=40, description="Purpose of the check; or send `X-Purpose`."
    )
    personal_id: str = Field(
        max_length=32, description="The 12-digit personal ID held, or an old 9-digit CMND."
    )
    claims: Claims = Field(default_factory=Claims)


class FieldResult(BaseModel):
    verdict: Verdict
    score: int = Field(ge=0, le=100)
    reason: Reason
    registered: Any | None = Field(
        default=None,
        description="The registry's value: only present when the purpose may read the field.",
    )


Decision = Literal["match", "mismatch", "not_found", "invalid", "refused"]


class VerifyResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "personal_id": "079085000103",
                "decision": "match",
                "reason": None,
                "fields": {
                    "personal_id": {"verdict": "match", "score": 100, "reason": "exact"},
                    "full_name": {"verdict": "match", "score": 90, "reason": "diacritics"},
                    "birth_date": {"verdict": "match", "score": 100, "reason": "exact"},
                },
                "fields_checked": 3,
            }
        }
    )

    personal_id: str = Field(description="As sent.")
    decision: Decision = Field(
        description="`match` when every claimed field matched a living citizen."
    )
    reason: str | None = Field(
        description="Why the decision is not `match` beyond the fields: `deceased`, `missing`, "
        "`not_found`, `ambiguous_legacy_id`, `invalid_id`, `consent_required`."
    )
    fields: dict[str, FieldResult]
    fields_checked: int = Field(description="Fields compared (billed at 1,000 VND each).")


class BatchRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ref: str | None = Field(default=None, max_length=64, description="Your id for the record.")
    personal_id: str = Field(max_length=32)
    claims: Claims = Field(default_factory=Claims)


class BatchVerifyRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "purpose": "subscriber_verification",
                "records": [
                    {
                        "ref": "sub-1",
                        "personal_id": "079085000103",
                        "claims": {"full_name": "Trần Minh Khôi", "birth_date": "1985-09-02"},
                    },
                    {
                        "ref": "sub-2",
                        "personal_id": "079085000108",
                        "claims": {"full_name": "Trần Minh Khôi", "birth_date": "1985-09-02"},
                    },
                ],
            }
        },
    )

    purpose: str | None = Field(default=None, max_length=40)
    records: list[BatchRecord] = Field(min_length=1, max_length=MAX_BATCH)


class BatchResult(VerifyResult):
    index: int
    ref: str | None


class BatchSummary(BaseModel):
    total: int
    match: int
    mismatch: int
    not_found: int
    invalid: int
    refused: int = Field(description="Records refused for lack of the citizen's consent.")
    fields_checked: int


class BatchVerifyResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "results": [
                    {
                        "index": 0,
                        "ref": "sub-1",
                        "personal_id": "079085000103",
                        "decision": "match",
                        "reason": None,
                        "fields": {
                            "personal_id": {"verdict": "match", "score": 100, "reason": "exact"},
                            "full_name": {"verdict": "match", "score": 100, "reason": "exact"},
                        },
                        "fields_checked": 2,
                    },
                    {
                        "index": 1,
                        "ref": "sub-2",
                        "personal_id": "079085000108",
                        "decision": "not_found",
                        "reason": "not_found",
                        "fields": {},
                        "fields_checked": 0,
                    },
                ],
                "summary": {
                    "total": 2,
                    "match": 1,
                    "mismatch": 0,
                    "not_found": 1,
                    "invalid": 0,
                    "refused": 0,
                    "fields_checked": 2,
                },
            }
        }
    )

    results: list[BatchResult]
    summary: BatchSummary
