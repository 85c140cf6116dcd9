"""What some steps carry: a statistics query, an extract's cohort, a record to push.

Checked as strictly as the rest of the file (unknown keys are errors); the values
themselves (codes, areas) are the server's to judge, and a refusal is the step's
answer.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _codes(value: object) -> str:
    """Category codes as the API takes them: ``"Kinh,Khmer"`` or a list of strings."""
    items = value if isinstance(value, list) else [value]
    codes = [item.strip() for item in items if isinstance(item, str)]
    if not codes or len(codes) != len(items) or not all(codes):
        raise ValueError(
            f"{value!r}: write codes as text, in quotes when they are digits "
            "('094', not 094), comma-separated or as a list"
        )
    return ",".join(codes)


def _text(value: object) -> object:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Codes = Annotated[str, BeforeValidator(_codes)]
AgeBands = Annotated[Literal["5", "10", "broad"], BeforeValidator(_text)]
RoundingBase = Annotated[Literal["5", "10"], BeforeValidator(_text)]


class StatisticsQuery(Strict):
    """``GET /v1/statistics/population``'s parameters (docs/statistics.md)."""

    group_by: Codes
    province: Codes | None = None
    province_2025: Codes | None = None
    ward: Codes | None = None
    ward_2025: Codes | None = None
    sex: Codes | None = None
    ethnicity: Codes | None = None
    marital_status: Codes | None = None
    vneid_level: Codes | None = None
    age_bands: AgeBands | None = None
    age_min: int | None = Field(default=None, ge=0)
    age_max: int | None = Field(default=None, ge=0)
    as_of: date | None = None
    vital_status: Literal["alive", "deceased", "missing", "any"] | None = None
    k: int | None = Field(default=None, ge=3)
    rounding_base: RoundingBase | None = None
    disclosure_control: Literal["on", "off"] | None = None

    def params(self) -> dict[str, str]:
        return {
            name: value.isoformat() if isinstance(value, date) else str(value)
            for name, value in self.model_dump(exclude_none=True).items()
        }


class Cohort(Strict):
    """An extract's cohort filter (docs/extracts.md); the server checks the codes."""

    province: Codes | None = None
    legacy_province: Codes | None = None
    ward: Codes | None = None
    legacy_ward: Codes | None = None
    residence: Literal["permanent", "current"] | None = None
    age_min: int | None = Field(default=None, ge=0)
    age_max: int | None = Field(default=None, ge=0)
    reference_date: date | None = None
    sex: Literal["male", "female"] | None = None
    marital_status: Literal["single", "married", "divorced", "widowed"] | None = None
    vital_status: Literal["alive", "deceased", "missing", "any"] | None = None
    limit: int | None = Field(default=None, ge=1)


class Holder(Strict):
    full_name: str
    birth_date: str  # as the sender's files hold it: 1985-03-12, 12/03/1985, 1985


class RecordPart(Strict):
    """push_record: what to send instead of the kind's sensible default (``records.py``)."""

    holder: Holder | None = None  # default: the citizen's name and birth date in the registry
    number: str | None = None
    status: Literal["valid", "expired", "suspended", "revoked"] | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    data: dict[str, Any] | None = None  # replaces the default's data whole
