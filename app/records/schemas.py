"""Request and response shapes of sector records (enrichment) and their history."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.config import JsonDict
from pydantic_core.core_schema import ValidatorFunctionWrapHandler

from app.models.records import RecordKind, RecordStatus

MAX_BATCH = 1000

HOLDER_EXAMPLE: JsonDict = {"full_name": "TRAN MINH KHOI", "birth_date": "02/09/1985"}
LICENCE_EXAMPLE: JsonDict = {
    "holder": HOLDER_EXAMPLE,
    "number": "790123456789",
    "status": "valid",
    "valid_from": "2019-06-14",
    "valid_until": None,
    "data": {"classes": ["A1", "B"], "issued_by": "Sở GTVT TP Hồ Chí Minh"},
}


class Holder(BaseModel):
    """Who the sender believes the record belongs to, as its own files say."""

    model_config = ConfigDict(extra="forbid")

    full_name: str = Field(max_length=200, description="Compared as verification does.")
    birth_date: str = Field(
        max_length=64, description="`YYYY-MM-DD`, `DD/MM/YYYY` or a bare year, as verification."
    )


class RecordWrite(BaseModel):
    """One record as its issuing agency holds it; `data` depends on the kind (docs/records.md)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": LICENCE_EXAMPLE})

    holder: Holder
    number: str = Field(max_length=40, description="The document's number, in its format.")
    status: RecordStatus = RecordStatus.VALID
    valid_from: date | None = None
    valid_until: date | None = None
    data: dict[str, Any] = Field(description="Kind-specific fields (docs/records.md).")


class RecordBatchItem(RecordWrite):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"personal_id": "079085000103", "kind": "driving_licence", **LICENCE_EXAMPLE}
        },
    )

    personal_id: str = Field(max_length=32)
    kind: RecordKind


class UnreadableRecord:
    """A batch item that is not a record: refused on its own, the batch goes on."""

    def __init__(self, item: Any, error: ValidationError) -> None:
        fields = item if isinstance(item, dict) else {}
        self.personal_id = _short_text(fields.get("personal_id"))
        self.kind = _short_text(fields.get("kind"))
        self.errors = [
            {
                "field": ".".join(str(part) for part in e["loc"]) or "record",
                "message": e["msg"],
                "type": e["type"],
            }
            for e in error.errors(include_url=False)
        ]


def _short_text(value: Any) -> str | None:
    return value[:40] if isinstance(value, str) else None


class RecordBatchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "records": [
                    {"personal_id": "079085000103", "kind": "driving_licence", **LICENCE_EXAMPLE}
                ]
            }
        },
    )

    records: list[Any] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        json_schema_extra={"minItems": 1, "maxItems": MAX_BATCH},
    )

    @field_validator("records", mode="wrap", json_schema_input_type=list[RecordBatchItem])
    @classmethod
    def _each_on_its_own(
        cls, value: Any, handler: ValidatorFunctionWrapHandler
    ) -> list[RecordBatchItem | UnreadableRecord]:
        items = handler(value)  # a list of at most MAX_BATCH items, or a 422
        checked: list[RecordBatchItem | UnreadableRecord] = []
        for item in items:
            try:
                checked.append(RecordBatchItem.model_validate(item))
            except ValidationError as error:
                checked.append(UnreadableRecord(item, error))
        return checked


Result = Literal["created", "updated", "unchanged"]


RECORD_EXAMPLE: JsonDict = {
    "kind": "driving_licence",
    "number": "790123456789",
    "status": "valid",
    "valid_from": "2019-06-14",
    "valid_until": None,
    "data": {"classes": ["A1", "B"], "issued_by": "Sở GTVT TP Hồ Chí Minh"},
    "source_agency": "transport-licensing-demo",
    "source_agency_name": "Sở Giao thông Vận tải Tỉnh Demo (demo)",
    "version": 2,
    "updated_at": "2026-11-22T09:15:02Z",
}


class RecordView(BaseModel):
    """A record as lookups, the wallet and write answers show it."""

    model_config = ConfigDict(json_schema_extra={"example": RECORD_EXAMPLE})

    kind: RecordKind
    number: str
    status: RecordStatus
    valid_from: str | None
    valid_until: str | None
    data: dict[str, Any]
    source_agency: str = Field(description="Code of the agency that pushed the current version.")
    source_agency_name: str | None
    version: int
    updated_at: str


class WriteResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "personal_id": "079085000103",
                "kind": "driving_licence",
                "result": "updated",
                "version": 2,
                "changed_fields": ["data.classes"],
                "record": RECORD_EXAMPLE,
            }
        }
    )

    personal_id: str
    kind: RecordKind
    result: Result = Field(description="`unchanged`: the same content again, no new version.")
    version: int
    changed_fields: list[str]
    record: RecordView


class RecordBatchResult(BaseModel):
    index: int
    personal_id: str | None
    kind: str | None
    status: Literal["accepted", "refused"]
    result: Result | None = Field(description="For accepted records.")
    version: int | None = Field(description="The record's version after the write.")
    reason: str | None = Field(description="For refused records: a code (docs/records.md).")
    detail: str | None
    errors: list[dict[str, str]] | None = Field(
        default=None, description="INVALID_RECORD: what is wrong, field by field."
    )


class RecordBatchSummary(BaseModel):
    total: int
    accepted: int
    refused: int
    created: int
    updated: int
    unchanged: int


class RecordBatchResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "results": [
                    {
                        "index": 0,
                        "personal_id": "079085000103",
                        "kind": "driving_licence",
                        "status": "accepted",
                        "result": "created",
                        "version": 1,
                        "reason": None,
                        "detail": None,
                    },
                    {
                        "index": 1,
                        "personal_id": "079187000104",
                        "kind": "driving_licence",
                        "status": "refused",
                        "result": None,
                        "version": None,
                        "reason": "HOLDER_MISMATCH",
                        "detail": "The holder's full_name does not agree with the registry.",
                    },
                ],
                "summary": {
                    "total": 2,
                    "accepted": 1,
                    "refused": 1,
                    "created": 1,
                    "updated": 0,
                    "unchanged": 0,
                },
            }
        }
    )

    results: list[RecordBatchResult]
    summary: RecordBatchSummary


class HistoryEntry(BaseModel):
    number: str
    version: int
    changed_at: str
    agency: str
    agency_name: str | None
    request_id: str | None
    changed_fields: list[str]
    snapshot: dict[str, Any] = Field(description="number, status, validity and data after it.")


class RecordHistory(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "personal_id": "079085000103",
                "kind": "driving_licence",
                "versions": [
                    {
                        "number": "790123456789",
                        "version": 2,
                        "changed_at": "2026-11-22T09:15:02Z",
                        "agency": "transport-licensing-demo",
                        "agency_name": "Sở Giao thông Vận tải Tỉnh Demo (demo)",
                        "request_id": "5f0c6c1e7a0b4a43a3b1d2c9e8f7a6b5",
                        "changed_fields": ["data.classes"],
                        "snapshot": {
                            "number": "790123456789",
                            "status": "valid",
                            "valid_from": "2019-06-14",
                            "valid_until": None,
                            "data": {"classes": ["A1", "B"], "issued_by": "Sở GTVT TP HCM"},
                        },
                    }
                ],
            }
        }
    )

    personal_id: str
    kind: RecordKind
    versions: list[HistoryEntry] = Field(description="Newest first, every record of the kind.")
