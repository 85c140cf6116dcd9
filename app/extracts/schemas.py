"""Shapes of extract requests, cohort filters, extract jobs and estimates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.models import ExtractState, MaritalStatus, Sex

COHORT_EXAMPLE: dict[str, Any] = {
    "province": "79",
    "age_min": 75,
    "vital_status": "alive",
}
EXTRACT_ID = "9b2f4c1d8e7a4f6b8c3d2e1f0a9b8c7d"
EXTRACT_EXAMPLE: dict[str, Any] = {
    "id": EXTRACT_ID,
    "state": "running",
    "purpose": "social_pension",
    "cohort": {
        "province": "79",
        "legacy_province": None,
        "ward": None,
        "legacy_ward": None,
        "residence": "permanent",
        "age_min": 75,
        "age_max": None,
        "reference_date": "2026-11-22",
        "sex": None,
        "marital_status": None,
        "vital_status": "alive",
        "limit": None,
    },
    "fields": [
        "personal_id",
        "full_name",
        "birth_date",
        "sex",
        "permanent_address",
        "current_address",
        "vital_status",
    ],
    "rows_total": 100000,
    "rows_processed": 41000,
    "rows_written": 41000,
    "progress": 0.41,
    "rows_per_second": 9870.5,
    "eta_seconds": 6.0,
    "chunks": 100,
    "created_at": "2026-11-22T09:00:00Z",
    "started_at": "2026-11-22T09:00:00Z",
    "finished_at": None,
    "error": None,
    "links": {
        "self": f"/v1/extracts/{EXTRACT_ID}",
        "data": f"/v1/extracts/{EXTRACT_ID}/data",
    },
}


class CohortFilter(BaseModel):
    """Who is in the extract: residence area, age on a reference date, sex, status."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": COHORT_EXAMPLE})

    province: str | None = Field(
        default=None,
        pattern=r"^[0-9]{2}$",
        description="2025 province (34 units, 2 digits), e.g. `79` TP Hồ Chí Minh.",
    )
    legacy_province: str | None = Field(
        default=None,
        pattern=r"^[0-9]{3}$",
        description="Pre-July-2025 province (63 units, 3 digits, as in the personal ID), "
        "e.g. `079`.",
    )
    ward: str | None = Field(default=None, pattern=r"^[0-9]{5}$", description="2025 ward/commune.")
    legacy_ward: str | None = Field(
        default=None, pattern=r"^[0-9]{5}$", description="Pre-2025 ward/commune."
    )
    residence: Literal["permanent", "current"] = Field(
        default="permanent", description="Which residence the area filters look at."
    )
    age_min: int | None = Field(default=None, ge=0, le=150, description="Age at least this.")
    age_max: int | None = Field(default=None, ge=0, le=150, description="Age at most this.")
    reference_date: date | None = Field(
        default=None,
        description="The day ages are counted on; today in Vietnam (UTC+7) if left out. A "
        "birth date known only by its year counts from 1 January.",
    )
    sex: Sex | None = None
    marital_status: MaritalStatus | None = None
    vital_status: Literal["alive", "deceased", "missing", "any"] = Field(
        default="alive", description="As the registry holds it now."
    )
    limit: int | None = Field(
        default=None, ge=1, description="At most this many citizens, in registry order."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.province is not None and self.legacy_province is not None:
            raise ValueError("give province or legacy_province, not both")
        if self.ward is not None and self.legacy_ward is not None:
            raise ValueError("give ward or legacy_ward, not both")
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError("age_min is above age_max")
        if self.reference_date is not None and not 1900 <= self.reference_date.year <= 2200:
            raise ValueError("reference_date must lie between the years 1900 and 2200")
        return self


class ExtractCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"purpose": "social_pension", "cohort": COHORT_EXAMPLE}},
    )

    purpose: str | None = Field(
        default=None, max_length=40, description="Or send `X-Purpose`; must allow `extract`."
    )
    cohort: CohortFilter = Field(default_factory=CohortFilter)


class ExtractRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": EXTRACT_EXAMPLE})

    id: str
    state: ExtractState = Field(description="`queued`, `running`, `done`, `cancelled` or `failed`.")
    purpose: str
    cohort: CohortFilter = Field(description="The filter as applied, reference date filled in.")
    fields: list[str] = Field(description="The columns of every row: the purpose's fields.")
    rows_total: int = Field(description="Citizens in the cohort, fixed at acceptance.")
    rows_processed: int
    rows_written: int = Field(
        description="Rows rendered; below `rows_processed` only if a citizen left the registry."
    )
    progress: float = Field(ge=0, le=1)
    rows_per_second: float | None = Field(description="Since rendering started.")
    eta_seconds: float | None
    chunks: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    links: dict[str, str]


class ExtractList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"extracts": [EXTRACT_EXAMPLE]}})

    extracts: list[ExtractRead]


class ExtractEstimate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "citizens": 100000,
                "max_citizens": 1000000,
                "within_limit": True,
                "cohort": {**EXTRACT_EXAMPLE["cohort"]},
            }
        }
    )

    citizens: int = Field(
        description="Citizens in the cohort; counting stops one past `max_citizens`."
    )
    max_citizens: int
    within_limit: bool
    cohort: CohortFilter
