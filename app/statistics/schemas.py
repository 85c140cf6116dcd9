"""The statistics API's documents (the answer is built as JSON directly; these document it)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# A real answer: people aged 60+ in Hà Giang, on `make run`'s registry (seed 1).
EXAMPLE: dict[str, Any] = {
    "group_by": ["sex", "marital_status"],
    "filters": {"province": ["002"], "age_min": 60},
    "age_bands": "10",
    "as_of": "2026-11-22",
    "vital_status": "alive",
    "disclosure_control": {
        "applied": True,
        "k": 10,
        "rounding_base": 5,
        "primary": 5,
        "secondary": 3,
        "flags": "primary_secondary",
        "rules": "docs/statistics.md",
    },
    "dimensions": [
        {
            "name": "sex",
            "categories": [
                {"code": "male", "label": "male"},
                {"code": "female", "label": "female"},
            ],
        },
        {
            "name": "marital_status",
            "categories": [
                {"code": "single", "label": "single"},
                {"code": "married", "label": "married"},
                {"code": "divorced", "label": "divorced"},
                {"code": "widowed", "label": "widowed"},
            ],
        },
    ],
    "cells": [
        {"sex": "male", "marital_status": "single", "count": 0, "suppressed": None},
        {"sex": "male", "marital_status": "married", "count": None, "suppressed": "secondary"},
        {"sex": "male", "marital_status": "divorced", "count": 0, "suppressed": None},
        {"sex": "male", "marital_status": "widowed", "count": None, "suppressed": "primary"},
        {"sex": "female", "marital_status": "single", "count": None, "suppressed": "primary"},
        {"sex": "female", "marital_status": "married", "count": None, "suppressed": "secondary"},
        {"sex": "female", "marital_status": "divorced", "count": None, "suppressed": "primary"},
        {"sex": "female", "marital_status": "widowed", "count": None, "suppressed": "secondary"},
    ],
    "margins": [
        {"sex": "male", "marital_status": "total", "count": 40, "suppressed": None},
        {"sex": "female", "marital_status": "total", "count": 40, "suppressed": None},
        {"sex": "total", "marital_status": "single", "count": None, "suppressed": "primary"},
        {"sex": "total", "marital_status": "married", "count": 60, "suppressed": None},
        {"sex": "total", "marital_status": "divorced", "count": None, "suppressed": "primary"},
        {"sex": "total", "marital_status": "widowed", "count": 20, "suppressed": None},
    ],
    "total": {"count": 80, "suppressed": None},
}
EXAMPLE_CSV = (
    "sex,marital_status,count,suppressed\n"
    "male,single,0,\n"
    "male,married,,secondary\n"
    "male,divorced,0,\n"
    "male,widowed,,primary\n"
    "female,single,,primary\n"
    "female,married,,secondary\n"
    "female,divorced,,primary\n"
    "female,widowed,,secondary\n"
    "male,total,40,\n"
    "female,total,40,\n"
    "total,single,,primary\n"
    "total,married,60,\n"
    "total,divorced,,primary\n"
    "total,widowed,20,\n"
    "total,total,80,\n"
)


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CategoryRead(Schema):
    code: str = Field(description="What cells name this category by.", examples=["002"])
    label: str = Field(examples=["Hà Giang"])


class DimensionRead(Schema):
    name: str = Field(examples=["province"])
    categories: list[CategoryRead] = Field(
        description="Every category of the table, in order, whether anyone is in it or not."
    )


class DisclosureControlRead(Schema):
    applied: bool = Field(description="False only for the admin's exact demonstration.")
    k: int | None = Field(description="Counts from 1 to k-1 are suppressed.")
    rounding_base: int = Field(description="Published counts are rounded to a multiple of it.")
    primary: int = Field(description="Cells and margins suppressed for being below k.")
    secondary: int = Field(description="Cells and margins suppressed to protect the others.")
    flags: Literal["primary_secondary", "suppressed", "none"] = Field(
        description="How suppressed counts are flagged: `primary`/`secondary`, or only "
        "`suppressed` when naming them would let a count be derived (tables of tiny counts)."
    )
    rules: str = "docs/statistics.md"


class CountRead(Schema):
    """One cell or margin: a key per dimension (its category code, or `total`), and the count."""

    model_config = ConfigDict(extra="allow")

    count: int | None = Field(description="Rounded count; null when suppressed.")
    suppressed: Literal["primary", "secondary", "suppressed"] | None = None


class PopulationTableRead(Schema):
    """A population table with its margins, under statistical disclosure control."""

    model_config = ConfigDict(json_schema_extra={"example": EXAMPLE})

    group_by: list[str]
    filters: dict[str, list[str] | int]
    age_bands: Literal["5", "10", "broad"]
    as_of: date = Field(description="The date ages are completed on.")
    vital_status: Literal["alive", "deceased", "missing", "any"]
    disclosure_control: DisclosureControlRead
    dimensions: list[DimensionRead]
    cells: list[CountRead] = Field(description="Every combination of categories, in order.")
    margins: list[CountRead] = Field(
        description="Totals over one or more dimensions (`total` in those), the grand total aside."
    )
    total: CountRead
