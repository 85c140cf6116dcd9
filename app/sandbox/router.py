"""Sandbox endpoints: the fixed test identities, and random citizens for simulators."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.dependencies import AdminDep
from app.db import SessionDep
from app.models.enums import MaritalStatus, Sex
from app.problems import problem_responses
from app.sandbox.schemas import CitizenSampleList, PersonaList
from app.sandbox.service import SampleQuery, list_personas, sample_citizens

router = APIRouter(prefix="/v1/sandbox", tags=["sandbox"])

Age = Annotated[int | None, Query(ge=0, le=130, description="Age in whole years, today (UTC).")]


@router.get("/personas", summary="Test personas")
def personas(session: SessionDep) -> PersonaList:
    """The documented test identities present in every seeded registry, and what each is for."""
    return list_personas(session)


@router.get(
    "/citizens/sample",
    summary="Random citizens (admin)",
    dependencies=[AdminDep],
    responses=problem_responses(
        403,
        422,
        codes={403: ["ADMIN_REQUIRED"], 422: ["VALIDATION_FAILED", "INVALID_AGE_RANGE"]},
    ),
)
def sample(
    session: SessionDep,
    count: Annotated[int, Query(ge=1, le=500, description="How many citizens, at most.")] = 50,
    sex: Annotated[Sex | None, Query()] = None,
    min_age: Age = None,
    max_age: Age = None,
    marital_status: Annotated[
        list[MaritalStatus] | None,
        Query(description="Repeat for several, e.g. `single` and `divorced`."),
    ] = None,
    alive: Annotated[
        bool,
        Query(description="`true`: neither dead nor missing; `false`: dead or missing only."),
    ] = True,
    province: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{3}$",
            description="Birth-registration province: the first three digits of the ID.",
            examples=["079"],
        ),
    ] = None,
    seed: Annotated[
        int | None,
        Query(ge=0, description="Draw the same sample again from the same registry state."),
    ] = None,
) -> CitizenSampleList:
    """Random citizens (living ones unless `alive=false`) matching the filters, with their
    spouse's personal ID, so a simulator (`popreg simulate life`) can pick plausible
    subjects for life events: mothers, couples, the old. Admin token only. Drawn from
    random primary-key ranges, never by sorting the table, so it stays fast on millions of
    citizens; fewer than `count` come back only when fewer match."""
    query = SampleQuery(
        count=count,
        sex=sex,
        min_age=min_age,
        max_age=max_age,
        marital_statuses=tuple(marital_status or ()),
        alive=alive,
        province=province,
        seed=seed,
    )
    return sample_citizens(session, query, datetime.now(UTC).date())
