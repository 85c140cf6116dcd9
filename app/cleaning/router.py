"""Cleaning job endpoints: upload, progress, cancel, results, summary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from app.auth.dependencies import PrincipalDep, PurposeHeader
from app.cleaning import results as rendering
from app.cleaning import service
from app.cleaning.profiles import Sector, parse_mapping
from app.cleaning.schemas import JobList, JobRead, JobSummary
from app.cleaning.upload import UploadFormat
from app.limits import admit_request
from app.problems import (
    AGENCY_CODES,
    NOT_ALLOWED_CODES,
    ProblemError,
    current_request_id,
    problem_responses,
)

router = APIRouter(prefix="/v1/cleaning/jobs", tags=["cleaning"])

CLEANING_CODES = {**AGENCY_CODES, 403: [*NOT_ALLOWED_CODES, "CONSENT_PURPOSE_NOT_SUPPORTED"]}

JobId = Annotated[str, Path(max_length=64, description="The job's id, from its creation.")]
MEDIA_TYPES = {
    "text/csv": UploadFormat.CSV,
    "application/csv": UploadFormat.CSV,
    "text/plain": UploadFormat.CSV,
    "application/x-ndjson": UploadFormat.NDJSON,
    "application/ndjson": UploadFormat.NDJSON,
    "application/jsonl": UploadFormat.NDJSON,
    "application/x-jsonlines": UploadFormat.NDJSON,
}
UPLOAD_ERRORS = problem_responses(
    400,
    401,
    403,
    413,
    415,
    422,
    429,
    codes={
        **CLEANING_CODES,
        400: [
            "PURPOSE_REQUIRED",
            "EMPTY_FILE",
            "MISSING_COLUMNS",
            "BAD_ENCODING",
            "INVALID_MAPPING",
        ],
        413: ["UPLOAD_TOO_LARGE", "TOO_MANY_ROWS", "PAYLOAD_TOO_LARGE"],
        415: ["UNSUPPORTED_MEDIA_TYPE", "NOT_CSV", "NOT_NDJSON"],
        422: ["VALIDATION_FAILED"],
    },
)
JOB_ERRORS = problem_responses(401, 404, 429, codes={**CLEANING_CODES, 404: ["JOB_NOT_FOUND"]})


class UnsupportedMediaTypeError(ProblemError):
    status_code = 415
    code = "UNSUPPORTED_MEDIA_TYPE"
    title = "Unsupported media type"


def _format(request: Request, requested: UploadFormat | None) -> UploadFormat:
    if requested is not None:
        return requested
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not media_type:
        return UploadFormat.CSV
    if media_type in MEDIA_TYPES:
        return MEDIA_TYPES[media_type]
    raise UnsupportedMediaTypeError(
        f"Send the file as text/csv or application/x-ndjson (got {media_type!r}), "
        "or name it with format=csv|ndjson."
    )


def _links(job: dict[str, Any]) -> dict[str, Any]:
    base = f"/v1/cleaning/jobs/{job['id']}"
    links = {"self": base, "results": f"{base}/results", "summary": f"{base}/summary"}
    return {**job, "links": links}


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "The file, streamed as it is read. CSV needs a header row.",
        "content": {
            "text/csv": {
                "schema": {"type": "string"},
                "example": "subscriber_id,msisdn,full_name,birth_date,id_number\n"
                "SUB00000001,0912345678,Nguyễn Văn Minh,1985-03-12,001085895359\n",
            },
            "application/x-ndjson": {
                "schema": {"type": "string"},
                "example": '{"id_number": "001085895359", "full_name": "Nguyễn Văn Minh", '
                '"birth_date": "1985-03-12", "msisdn": "0912345678"}\n',
            },
        },
    }
}


@router.post(
    "",
    status_code=202,
    summary="Start a cleaning job by uploading a file",
    response_model=JobRead,
    responses=UPLOAD_ERRORS,
    openapi_extra=UPLOAD_BODY,
)
async def create_cleaning_job(
    request: Request,
    principal: PrincipalDep,
    sector: Annotated[
        Sector,
        Query(description="Sector profile: which columns are read, checked and corrected."),
    ],
    purpose: Annotated[str | None, Query(max_length=40, description="Or send `X-Purpose`.")] = None,
    format: Annotated[
        UploadFormat | None,
        Query(description="csv or ndjson; by default from the Content-Type."),
    ] = None,
    map: Annotated[
        list[str],
        Query(
            max_length=40,
            description="Your column for a registry field, `FIELD:COLUMN`, repeatable: "
            "`map=personal_id:so_cccd&map=full_name:ho_ten`.",
        ),
    ] = [],  # noqa: B006 - FastAPI copies query defaults
    x_purpose: PurposeHeader = None,
) -> Any:
    """Upload what your organisation holds; get one result per row when the job is done.

    The file is stored as it streams in and processed in chunks while it is still
    arriving. The answer (202) comes once the whole file is stored; follow
    `Location` for progress. Problems with the whole file (empty, not CSV, a
    required column missing) are refused before anything is stored; a row that
    cannot be read gets an `invalid` result and the rest carry on.
    """
    await admit_request(request, principal)
    state = request.app.state
    upload = service.UploadRequest(
        purpose=purpose or x_purpose,
        sector=sector,
        input_format=_format(request, format),
        overrides=parse_mapping(map),
        request_id=current_request_id(request),
    )
    job = await service.create_job(
        state.database, state.audit, state.settings, principal, upload, request.stream()
    )
    body = JobRead.model_validate(_links(job))
    return _accepted(body)


def _accepted(body: JobRead) -> Any:
    return JSONResponse(
        body.model_dump(mode="json"), status_code=202, headers={"Location": body.links["self"]}
    )


@router.get(
    "", summary="Your cleaning jobs, newest first", response_model=JobList, responses=JOB_ERRORS
)
async def list_cleaning_jobs(
    request: Request,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Any:
    """Your agency's jobs with their progress; other agencies' jobs are never listed."""
    database = request.app.state.database
    jobs = await run_in_threadpool(service.list_jobs, database, principal, limit)
    return {"jobs": [_links(job) for job in jobs]}


@router.get(
    "/{job_id}",
    summary="A cleaning job's progress",
    response_model=JobRead,
    responses=JOB_ERRORS,
)
async def read_cleaning_job(request: Request, principal: PrincipalDep, job_id: JobId) -> Any:
    """Rows received and processed, the rate since processing started, the ETA and the state."""
    job = await run_in_threadpool(service.get_job, request.app.state.database, principal, job_id)
    return _links(job)


@router.delete(
    "/{job_id}",
    summary="Cancel a cleaning job",
    response_model=JobRead,
    responses=problem_responses(
        401, 404, 409, 429, codes={**CLEANING_CODES, 404: ["JOB_NOT_FOUND"], 409: ["JOB_FINISHED"]}
    ),
)
async def cancel_cleaning_job(request: Request, principal: PrincipalDep, job_id: JobId) -> Any:
    """Stop a job: chunks not yet processed are dropped; results so far stay readable."""
    job = await run_in_threadpool(service.cancel_job, request.app.state.database, principal, job_id)
    return _links(job)


@router.get(
    "/{job_id}/results",
    summary="A finished job's results, one per input row, in input order",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Streamed; `status` per row (clean, corrected, mismatch, not_found, "
            "deceased, invalid), per-field verdict and reason, corrections the purpose may read.",
            "content": {
                "application/x-ndjson": {
                    "example": '{"row":1,"personal_id":"001085895359","fields":{"personal_id":'
                    '{"verdict":"match","reason":"exact","score":100},"full_name":{"verdict":'
                    '"match","reason":"diacritics","score":90}},"status":"mismatch"}\n'
                },
                "text/csv": {
                    "example": "row,status,reason,personal_id,personal_id_verdict,"
                    "personal_id_reason,full_name_verdict,full_name_reason\n"
                    "1,mismatch,,001085895359,match,exact,match,diacritics\n"
                },
            },
        },
        **problem_responses(
            401,
            404,
            409,
            429,
            codes={**CLEANING_CODES, 404: ["JOB_NOT_FOUND"], 409: ["JOB_NOT_FINISHED"]},
        ),
    },
)
async def read_cleaning_results(
    request: Request,
    principal: PrincipalDep,
    job_id: JobId,
    format: Annotated[Literal["csv", "ndjson"], Query()] = "ndjson",
) -> StreamingResponse:
    """Streamed, one result per input row in input order, once the job is `done`.

    Each result has the row number, a `status` (`clean`, `corrected`, `mismatch`,
    `not_found`, `deceased`, `invalid`), a row-level `reason` where there is one,
    the `personal_id` of the citizen compared, per-field `verdict`, `reason` and
    `score` (the identity verification's matching rules), and the `corrections`
    your purpose may read. In CSV each field becomes `<field>_verdict` and
    `<field>_reason` columns, and each correctable field a `corrected_<field>`.
    A cancelled job's results cover the chunks done before it was cancelled.
    """
    database = request.app.state.database
    job = await run_in_threadpool(service.finished_job, database, principal, job_id)
    # One block per stored chunk (thousands of rows): each step of a streamed
    # response is a thread hand-off, so never one per row.
    content: Iterator[bytes]
    if format == "csv":
        batches = service.result_batches(database, job_id)
        content = rendering.csv_rows(batches, job["checked"], job["correctable"])
        media_type = "text/csv; charset=utf-8"
    else:
        content = service.result_blocks(database, job_id)
        media_type = "application/x-ndjson"
    filename = f"cleaning-{job_id}.{format}"
    return StreamingResponse(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/{job_id}/summary",
    summary="Counts by status and by reason",
    response_model=JobSummary,
    responses=JOB_ERRORS,
)
async def read_cleaning_summary(request: Request, principal: PrincipalDep, job_id: JobId) -> Any:
    """Available while the job runs (counts so far) and once it is done."""
    return await run_in_threadpool(service.summary, request.app.state.database, principal, job_id)
