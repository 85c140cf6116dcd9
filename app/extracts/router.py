"""Extract endpoints: start, estimate, list, progress, cancel, and the rows themselves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from app.auth.dependencies import PrincipalDep, PurposeHeader
from app.extracts import formats, service
from app.extracts.errors import NotAcceptableError
from app.extracts.schemas import ExtractCreate, ExtractEstimate, ExtractList, ExtractRead
from app.limits import admit_request
from app.problems import AGENCY_CODES, NOT_ALLOWED_CODES, current_request_id, problem_responses

router = APIRouter(prefix="/v1/extracts", tags=["extracts"])

ExtractId = Annotated[str, Path(max_length=64, description="The extract's id, from its creation.")]
Format = Literal["ndjson", "csv"]
MEDIA_TYPES: dict[str, Format] = {
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "text/csv": "csv",
    "application/csv": "csv",
}
COHORT_ERRORS = problem_responses(
    400,
    401,
    403,
    422,
    429,
    codes={
        **AGENCY_CODES,
        400: ["PURPOSE_REQUIRED"],
        403: [*NOT_ALLOWED_CODES, "CONSENT_PURPOSE_NOT_SUPPORTED"],
        422: [
            "VALIDATION_FAILED",
            "MALFORMED_JSON",
            "UNKNOWN_AREA",
            "WARD_NOT_IN_PROVINCE",
            "COHORT_TOO_LARGE",
        ],
    },
)
EXTRACT_ERRORS = problem_responses(
    401, 404, 429, codes={**AGENCY_CODES, 404: ["EXTRACT_NOT_FOUND"]}
)


def _links(job: dict[str, Any]) -> dict[str, Any]:
    base = f"/v1/extracts/{job['id']}"
    return {**job, "links": {"self": base, "data": f"{base}/data"}}


def _request(request: Request, body: ExtractCreate, x_purpose: str | None) -> Any:
    return service.ExtractRequest(
        purpose=body.purpose or x_purpose,
        cohort=body.cohort,
        request_id=current_request_id(request),
    )


@router.post(
    "",
    status_code=202,
    summary="Start an extract of a cohort",
    response_model=ExtractRead,
    responses=COHORT_ERRORS,
)
async def create_extract(
    request: Request, principal: PrincipalDep, body: ExtractCreate, x_purpose: PurposeHeader = None
) -> Any:
    """Fix the cohort now and render its rows in the background; follow `Location`.

    The purpose (body `purpose` or `X-Purpose`) must allow the operation `extract`
    and must not rest on consent. Each row holds exactly the purpose's fields; each
    citizen's row is written together with an audit record that the citizen sees in
    their data tracker. A cohort larger than the configured maximum is refused
    (`422 COHORT_TOO_LARGE`); an empty one is `done` at once.
    """
    await admit_request(request, principal)
    state = request.app.state
    job = await service.create_extract(
        state.database, state.audit, state.settings, principal, _request(request, body, x_purpose)
    )
    read = ExtractRead.model_validate(_links(job))
    return JSONResponse(
        read.model_dump(mode="json"), status_code=202, headers={"Location": read.links["self"]}
    )


@router.post(
    "/estimate",
    summary="How many citizens a cohort holds",
    response_model=ExtractEstimate,
    responses=COHORT_ERRORS,
)
async def estimate_extract(
    request: Request, principal: PrincipalDep, body: ExtractCreate, x_purpose: PurposeHeader = None
) -> Any:
    """Count the cohort without extracting anyone (counting stops one past the maximum)."""
    await admit_request(request, principal)
    state = request.app.state
    return await service.estimate(
        state.database, state.audit, state.settings, principal, _request(request, body, x_purpose)
    )


@router.get(
    "",
    summary="Your extracts, newest first",
    response_model=ExtractList,
    responses=problem_responses(401, 429, codes=AGENCY_CODES),
)
async def list_extracts(
    request: Request, principal: PrincipalDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> Any:
    """Your agency's extracts with their progress; other agencies' are never listed."""
    database = request.app.state.database
    jobs = await run_in_threadpool(service.list_extracts, database, principal, limit)
    return {"extracts": [_links(job) for job in jobs]}


@router.get(
    "/{extract_id}",
    summary="An extract's state and progress",
    response_model=ExtractRead,
    responses=EXTRACT_ERRORS,
)
async def read_extract(request: Request, principal: PrincipalDep, extract_id: ExtractId) -> Any:
    """Citizens in the cohort and rendered so far, the rate, the ETA and the state."""
    database = request.app.state.database
    return _links(await run_in_threadpool(service.get_extract, database, principal, extract_id))


@router.delete(
    "/{extract_id}",
    summary="Cancel an extract",
    response_model=ExtractRead,
    responses=problem_responses(
        401,
        404,
        409,
        429,
        codes={**AGENCY_CODES, 404: ["EXTRACT_NOT_FOUND"], 409: ["EXTRACT_FINISHED"]},
    ),
)
async def cancel_extract(request: Request, principal: PrincipalDep, extract_id: ExtractId) -> Any:
    """Stop an extract: citizens not yet rendered are dropped (and never audited); rows
    rendered so far stay readable."""
    database = request.app.state.database
    return _links(await run_in_threadpool(service.cancel_extract, database, principal, extract_id))


def _output(request: Request, requested: Format | None) -> Format:
    if requested is not None:
        return requested
    accepted = [
        part.split(";")[0].strip().lower() for part in request.headers.get("accept", "").split(",")
    ]
    for media_type in accepted:
        if media_type in MEDIA_TYPES:
            return MEDIA_TYPES[media_type]
        if media_type in ("", "*/*", "application/*", "text/*"):
            return "csv" if media_type == "text/*" else "ndjson"
    raise NotAcceptableError(
        "The rows come as application/x-ndjson or text/csv; accept one of them, "
        "or name it with format=ndjson|csv."
    )


@router.get(
    "/{extract_id}/data",
    summary="A finished extract's rows, streamed",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One row per citizen, in registry order, with exactly the purpose's "
            "fields. CSV flattens addresses and other known objects to `field.key` columns.",
            "content": {
                "application/x-ndjson": {
                    "example": '{"personal_id":"079149000123","full_name":"Nguyễn Thị Lành",'
                    '"birth_date":"1949-03-02","sex":"female","permanent_address":{"address":'
                    '"Số 8 đường Lê Lợi, Phường Bến Nghé, Quận 1, TP Hồ Chí Minh",'
                    '"address_2025":"Số 8 đường Lê Lợi, Phường Sài Gòn, TP Hồ Chí Minh",'
                    '"legacy_ward_code":"26740","ward_code":"26740"},"vital_status":"alive"}\n'
                },
                "text/csv": {
                    "example": "personal_id,full_name,birth_date,sex,permanent_address.address,"
                    "permanent_address.address_2025,permanent_address.legacy_ward_code,"
                    "permanent_address.ward_code,vital_status\n"
                    '079149000123,Nguyễn Thị Lành,1949-03-02,female,"Số 8 đường Lê Lợi, Phường '
                    'Bến Nghé, Quận 1, TP Hồ Chí Minh","Số 8 đường Lê Lợi, Phường Sài Gòn, TP Hồ '
                    'Chí Minh",26740,26740,alive\n'
                },
            },
        },
        **problem_responses(
            401,
            403,
            404,
            406,
            409,
            429,
            codes={
                **AGENCY_CODES,
                404: ["EXTRACT_NOT_FOUND"],
                406: ["NOT_ACCEPTABLE"],
                409: ["EXTRACT_NOT_FINISHED"],
            },
        ),
    },
)
async def read_extract_data(
    request: Request,
    principal: PrincipalDep,
    extract_id: ExtractId,
    format: Annotated[
        Format | None, Query(description="ndjson or csv; by default from `Accept` (else ndjson).")
    ] = None,
) -> StreamingResponse:
    """Streamed once the extract is `done` (or `cancelled`: the rows rendered before).

    Rows come in registry order, read from the database one stored chunk at a time,
    so memory stays flat however large the extract. Each row has exactly the
    purpose's fields (fewer if the purpose has been narrowed since). The download
    itself is audited once; each citizen's disclosure was audited with their row.
    """
    output = _output(request, format)
    await admit_request(request, principal)
    state = request.app.state
    database = state.database
    job, fields = await service.open_download(
        database, state.audit, principal, extract_id, output, current_request_id(request)
    )
    # One block per stored chunk (a thousand rows): each step of a streamed response
    # is a thread hand-off, so never one per row.
    blocks: Iterator[bytes] = service.row_blocks(database, extract_id)
    if fields != job["fields"]:
        blocks = formats.narrowed(blocks, fields)
    if output == "csv":
        content, media_type = formats.csv_blocks(blocks, fields), "text/csv; charset=utf-8"
    else:
        content, media_type = blocks, "application/x-ndjson"
    filename = f"extract-{extract_id}.{output}"
    return StreamingResponse(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
