"""`GET /v1/statistics/population`: counts of the population for planning, as JSON or CSV."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response

from app.auth.dependencies import ApiKeyHeader, BearerHeader, PurposeHeader, resolve_principal
from app.auth.principal import Principal
from app.config import Mode
from app.limits import admit_request
from app.problems import (
    THROTTLED_CODES,
    UNAUTHENTICATED_CODES,
    current_request_id,
    problem_responses,
)
from app.statistics import rendering, service
from app.statistics.dimensions import AgeBands, Dimension, VitalStatus
from app.statistics.query import MAX_AGE, MAX_CELLS, MAX_DIMENSIONS, MAX_K, Asked
from app.statistics.schemas import EXAMPLE_CSV, PopulationTableRead

router = APIRouter(prefix="/v1/statistics", tags=["statistics"])

ERRORS = problem_responses(
    400,
    401,
    403,
    422,
    429,
    codes={
        400: ["PURPOSE_REQUIRED"],
        401: UNAUTHENTICATED_CODES,
        403: [
            "PURPOSE_NOT_ALLOWED",
            "OPERATION_NOT_ALLOWED",
            "DIMENSION_NOT_ALLOWED",
            "DISCLOSURE_CONTROL_REQUIRED",
        ],
        422: [
            "INVALID_GROUP_BY",
            "TOO_MANY_DIMENSIONS",
            "TOO_MANY_CELLS",
            "INVALID_FILTER",
            "INVALID_AGE_RANGE",
            "INVALID_AS_OF",
            "K_BELOW_MINIMUM",
            "VALIDATION_FAILED",
        ],
        429: THROTTLED_CODES,
    },
)
DIMENSIONS = ", ".join(f"`{d.value}`" for d in Dimension)


async def get_statistician(
    request: Request, api_key: ApiKeyHeader, bearer: BearerHeader
) -> Principal:
    """An agency (API key or OAuth2 token), or the sandbox admin token."""
    admin = request.app.state.settings.admin_token.get_secret_value().encode()
    if bearer is not None and secrets.compare_digest(bearer.credentials.encode(), admin):
        return service.ADMIN
    authorization = f"Bearer {bearer.credentials}" if bearer is not None else None
    principal = await resolve_principal(request, api_key, authorization)
    await admit_request(request, principal)
    return principal


Statistician = Annotated[Principal, Depends(get_statistician)]


def _codes(dimension: str, example: str) -> object:
    return Query(
        max_length=4000,
        description=f"Only citizens whose {dimension} is one of these comma-separated codes.",
        examples=[example],
    )


def asked_parameters(
    group_by: Annotated[
        list[str],
        Query(
            description=f"1 to {MAX_DIMENSIONS} dimensions, comma-separated or repeated: "
            f"{DIMENSIONS}. At most {MAX_CELLS:,} cells (the product of their categories).",
            examples=["province,sex,age_band"],
        ),
    ],
    province: Annotated[str | None, _codes("legacy province (3 digits)", "002,004")] = None,
    province_2025: Annotated[str | None, _codes("2025 province (2 digits)", "79")] = None,
    ward: Annotated[str | None, _codes("legacy ward (5 digits)", "00712")] = None,
    ward_2025: Annotated[str | None, _codes("2025 ward (5 digits)", "26734")] = None,
    sex: Annotated[str | None, _codes("sex", "female")] = None,
    ethnicity: Annotated[str | None, _codes("ethnicity", "Tày,Nùng")] = None,
    marital_status: Annotated[str | None, _codes("marital status", "widowed")] = None,
    vneid_level: Annotated[str | None, _codes("VNeID level (0, 1, 2)", "2")] = None,
    age_bands: Annotated[
        AgeBands,
        Query(
            description="`5` or `10`-year bands up to 90+, or `broad` (0-14, 15-24, 25-64, 65+)."
        ),
    ] = AgeBands.TEN,
    age_min: Annotated[
        int | None,
        Query(ge=0, le=MAX_AGE, description="Aged at least this on `as_of` (a multiple of 5)."),
    ] = None,
    age_max: Annotated[
        int | None,
        Query(ge=0, le=MAX_AGE, description="Aged at most this on `as_of` (4, 9, 14 …)."),
    ] = None,
    as_of: Annotated[
        date | None, Query(description="The date ages are completed on; default today (UTC).")
    ] = None,
    vital_status: Annotated[
        VitalStatus, Query(description="Whom to count; other than `alive` needs `vital_status`.")
    ] = VitalStatus.ALIVE,
    k: Annotated[
        int | None,
        Query(
            ge=3,
            le=MAX_K,
            description="Suppress counts from 1 to k-1; default and least POPREG_STATISTICS_MIN_K "
            "(10).",
        ),
    ] = None,
    rounding_base: Annotated[
        Literal["5", "10"], Query(description="Round published counts to a multiple of this.")
    ] = "5",
    disclosure_control: Annotated[
        Literal["on", "off"],
        Query(
            description="`off` (exact counts): the admin token in sandbox mode only (workshops)."
        ),
    ] = "on",
) -> Asked:
    filters = {
        Dimension.PROVINCE: province,
        Dimension.PROVINCE_2025: province_2025,
        Dimension.WARD: ward,
        Dimension.WARD_2025: ward_2025,
        Dimension.SEX: sex,
        Dimension.ETHNICITY: ethnicity,
        Dimension.MARITAL_STATUS: marital_status,
        Dimension.VNEID_LEVEL: vneid_level,
    }
    return Asked(
        group_by=group_by,
        filters={dimension: text for dimension, text in filters.items() if text is not None},
        age_bands=age_bands,
        age_min=age_min,
        age_max=age_max,
        as_of=as_of,
        vital_status=vital_status,
        k=k,
        rounding_base=int(rounding_base),
        disclosure_control=disclosure_control == "on",
    )


def _wants_csv(format: str | None, accept: str | None) -> bool:
    if format is not None:
        return format == "csv"
    return "text/csv" in (accept or "")


@router.get(
    "/population",
    summary="Count the population, grouped and filtered, under disclosure control",
    response_model=PopulationTableRead,
    responses={
        200: {
            "description": "The table with its margins (JSON), or the same rows as CSV.",
            "content": {"text/csv": {"schema": {"type": "string"}, "example": EXAMPLE_CSV}},
        },
        **ERRORS,
    },
)
async def population(
    request: Request,
    principal: Statistician,
    asked: Annotated[Asked, Depends(asked_parameters)],
    purpose: PurposeHeader = None,
    format: Annotated[
        Literal["json", "csv"] | None,
        Query(description="`csv` or `json`; default by the Accept header, else JSON."),
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Counts of living citizens by up to three dimensions, with row, column and grand totals.

    Under disclosure control (always, for agencies) no count from 1 to k-1 is published:
    such cells are suppressed, and so are others chosen so that no suppressed count can be
    worked out from the published cells and totals; the rest are rounded. The purpose in
    `X-Purpose` must allow the `statistics` operation and hold the field behind each
    dimension (`sex`, `birth_date` for ages, `ethnicity`, `marital_status`, `vneid_level`,
    `permanent_address` for provinces and wards). Audited as aggregate access: no citizen's
    access log shows it. The rules, and why they are needed, are in docs/statistics.md.
    """
    state = request.app.state
    published = await service.population(
        state.database,
        state.audit,
        principal,
        purpose,
        asked,
        current_request_id(request),
        min_k=state.settings.statistics_min_k,
        exact_allowed=state.settings.mode is Mode.SANDBOX,
    )
    if _wants_csv(format, accept):
        return Response(
            rendering.csv_text(published),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="population.csv"'},
        )
    return Response(orjson.dumps(rendering.document(published)), media_type="application/json")
