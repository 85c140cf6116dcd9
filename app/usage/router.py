"""`GET /v1/agencies/me/usage`: the calling agency's verifications and fees for a month."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.dependencies import PrincipalDep
from app.db import SessionDep
from app.problems import UNAUTHENTICATED_CODES, problem_responses
from app.usage import service
from app.usage.schemas import OperationUsageRead, UsageRead

router = APIRouter(prefix="/v1/agencies", tags=["agencies"])

MonthQuery = Annotated[
    str | None,
    Query(
        max_length=20,
        description="Calendar month (UTC) as `YYYY-MM`; default the current month.",
        examples=["2026-10"],
    ),
]


@router.get(
    "/me/usage",
    summary="My usage and fees for a month",
    responses=problem_responses(
        401, 422, codes={401: UNAUTHENTICATED_CODES, 422: ["INVALID_MONTH"]}
    ),
)
def read_my_usage(
    principal: PrincipalDep, session: SessionDep, month: MonthQuery = None
) -> UsageRead:
    """Verifications and fields checked per operation, and the fee at 1,000 VND per field."""
    statement = service.agency_statement(
        session.connection(), principal.agency_code, service.parse_month(month)
    )
    return UsageRead(
        agency_code=statement.agency_code,
        month=str(statement.month),
        operations=[
            OperationUsageRead(
                operation=op.operation,
                verifications=op.verifications,
                fields_checked=op.fields_checked,
                fee_vnd=op.fee_vnd,
            )
            for op in statement.operations
        ],
        verifications=statement.verifications,
        fields_checked=statement.fields_checked,
        fee_vnd=statement.fee_vnd,
        fee_per_field_vnd=service.FEE_PER_FIELD_VND,
        fee_basis=service.FEE_BASIS,
    )
