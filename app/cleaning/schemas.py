"""Shapes of cleaning jobs, their progress, results and summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.models import JobState

JOB_EXAMPLE: dict[str, Any] = {
    "id": "3f1c9a6e2b7d4c1e9f0a8b7c6d5e4f3a",
    "state": "running",
    "sector": "telecom",
    "purpose": "subscriber_verification",
    "input_format": "csv",
    "mapping": {
        "personal_id": "id_number",
        "full_name": "full_name",
        "birth_date": "birth_date",
        "phone": "msisdn",
    },
    "checked": ["full_name", "birth_date", "phone"],
    "correctable": [],
    "rows_received": 1000000,
    "rows_processed": 412000,
    "progress": 0.412,
    "rows_per_second": 30512.4,
    "eta_seconds": 19.3,
    "chunks": 500,
    "created_at": "2026-11-22T09:00:00Z",
    "started_at": "2026-11-22T09:00:01Z",
    "finished_at": None,
    "error": None,
    "links": {
        "self": "/v1/cleaning/jobs/3f1c9a6e2b7d4c1e9f0a8b7c6d5e4f3a",
        "results": "/v1/cleaning/jobs/3f1c9a6e2b7d4c1e9f0a8b7c6d5e4f3a/results",
        "summary": "/v1/cleaning/jobs/3f1c9a6e2b7d4c1e9f0a8b7c6d5e4f3a/summary",
    },
}


class JobRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": JOB_EXAMPLE})

    id: str
    state: JobState = Field(
        description="`receiving` (upload in progress; processing already under way), `queued`, "
        "`running`, `done`, `cancelled` or `failed`."
    )
    sector: str
    purpose: str
    input_format: str
    mapping: dict[str, str] = Field(description="Registry field → your column.")
    checked: list[str] = Field(description="Fields compared with the registry.")
    correctable: list[str] = Field(
        description="Fields whose registry value is returned where yours differs."
    )
    rows_received: int
    rows_processed: int
    progress: float = Field(ge=0, le=1)
    rows_per_second: float | None = Field(description="Since processing started.")
    eta_seconds: float | None
    chunks: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    links: dict[str, str]


class JobList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"jobs": [JOB_EXAMPLE]}})

    jobs: list[JobRead]


class JobSummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "job_id": "3f1c9a6e2b7d4c1e9f0a8b7c6d5e4f3a",
                "state": "done",
                "rows": 1000000,
                "rows_processed": 1000000,
                "by_status": {
                    "clean": 402311,
                    "corrected": 0,
                    "mismatch": 571203,
                    "not_found": 20114,
                    "deceased": 3120,
                    "invalid": 3252,
                },
                "by_reason": {"full_name:diacritics": 190233, "phone:different": 101442},
                "fields_checked": 2911020,
                "fee_vnd": 2911020000,
            }
        }
    )

    job_id: str
    state: JobState
    rows: int
    rows_processed: int
    by_status: dict[str, int] = Field(description="Rows per status; every status is named.")
    by_reason: dict[str, int] = Field(
        description="Rows per reason, most frequent first: row-level reasons (`not_found`, "
        "`invalid_id`, `wrong_column_count`, …) and `field:reason` for each differing field."
    )
    fields_checked: int
    fee_vnd: int = Field(description="1,000 VND per field checked.")
