from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

AUDIT_EVENT_EXAMPLE: JsonDict = {
    "seq": 1042,
    "occurred_at": "2026-11-22T15:40:20.123456Z",
    "agency_code": "honglinh-hospital",
    "purpose": "patient_checkin",
    "operation": "lookup",
    "personal_id": "079085000103",
    "fields": ["personal_id", "full_name", "birth_date", "sex"],
    "outcome": "disclosed",
    "code": None,
    "request_id": "5f0c6c1e7a0b4a43a3b1d2c9e8f7a6b5",
    "detail": {"credential": "api_key"},
    "prev_hash": "9b1c…",
    "hash": "e3a7…",
}


class AuditEventRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": AUDIT_EVENT_EXAMPLE})

    seq: int = Field(description="Position in the chain; also the pagination cursor.")
    occurred_at: str
    agency_code: str | None
    purpose: str | None
    operation: str = Field(description="`lookup`, `lookup_legacy_id`, `verify`, `batch_verify`…")
    personal_id: str | None
    fields: list[str] = Field(description="Fields disclosed or checked.")
    outcome: str = Field(
        description="`disclosed`, `verified`, `denied`, `not_found`, `invalid`, `unavailable`."
    )
    code: str | None = Field(description="The error code of a refusal.")
    request_id: str | None
    detail: dict[str, Any] | None
    prev_hash: str
    hash: str


class AuditEventPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"events": [AUDIT_EVENT_EXAMPLE], "next_cursor": "1042"}}
    )

    events: list[AuditEventRead]
    next_cursor: str | None = Field(
        description="Pass as `after` for the next page; null at the end of the log so far."
    )
