"""RFC 9457 problem details: every error popreg returns, with a stable ``code``.

Domain errors subclass ``ProblemError`` and carry their status and code; one
set of handlers renders them, FastAPI's validation errors and Starlette's HTTP
errors alike as ``application/problem+json``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from functools import lru_cache
from http import HTTPStatus
from typing import Any, ClassVar

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import compile_path

from app.db import database_unreachable

PROBLEM_MEDIA_TYPE = "application/problem+json"
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
logger = logging.getLogger("popreg.errors")


class FieldError(BaseModel):
    field: str = Field(description="Where the problem is, e.g. `body.claims.full_name`.")
    message: str
    type: str = Field(description="Machine-readable kind, e.g. `missing`, `json_invalid`.")


class Problem(BaseModel):
    """An RFC 9457 problem document with popreg's stable error ``code``."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "type": "urn:popreg:problem:not-found",
                "title": "Not Found",
                "status": 404,
                "detail": "No endpoint at /v1/unknown.",
                "instance": "/v1/unknown",
                "code": "NOT_FOUND",
                "request_id": "5f0c6c1e7a0b4a43a3b1d2c9e8f7a6b5",
            }
        }
    )

    type: str = Field(description="URN naming the kind of problem; one per `code`.")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = Field(default=None, description="The path of the request.")
    code: str = Field(description="Stable, machine-readable error code.")
    request_id: str | None = Field(default=None, description="Echo of `X-Request-ID`.")
    errors: list[FieldError] | None = Field(
        default=None, description="Per-field problems of a request that failed validation."
    )


class ProblemError(Exception):
    """Base of every domain error: subclasses set ``status_code``, ``code`` and ``title``."""

    status_code: ClassVar[int] = HTTPStatus.BAD_REQUEST
    code: ClassVar[str] = "BAD_REQUEST"
    title: ClassVar[str] = "Bad Request"

    def __init__(
        self,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})
        self.extensions = dict(extensions or {})


class ServiceUnavailableError(ProblemError):
    status_code = HTTPStatus.SERVICE_UNAVAILABLE
    code = "UNAVAILABLE"
    title = "Service Unavailable"


class DatabaseUnavailableError(ServiceUnavailableError):
    code = "DATABASE_UNAVAILABLE"


class SchemaOutOfDateProblem(ServiceUnavailableError):
    code = "SCHEMA_OUT_OF_DATE"


# Codes for errors raised by the framework rather than by popreg's own code.
HTTP_STATUS_CODES: dict[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_FAILED",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "UNAVAILABLE",
}


def code_for_status(status: int) -> str:
    return HTTP_STATUS_CODES.get(status, f"HTTP_{status}")


def problem_type(code: str) -> str:
    return "urn:popreg:problem:" + code.lower().replace("_", "-")


def current_request_id(request: Request | None = None) -> str | None:
    if request is not None:
        state = request.scope.get("state") or {}
        if request_id := state.get("request_id"):
            return str(request_id)
    return request_id_var.get()


def problem_response(
    *,
    status: int,
    code: str,
    detail: str | None,
    instance: str | None,
    request_id: str | None,
    title: str | None = None,
    errors: Sequence[Mapping[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
        "request_id": request_id,
    }
    if errors is not None:
        body["errors"] = list(errors)
    if extensions:
        body.update({k: v for k, v in extensions.items() if k not in body})
    response_headers = dict(headers or {})
    if request_id:
        response_headers["X-Request-ID"] = request_id
    return Response(
        orjson.dumps(body),
        status_code=status,
        headers=response_headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def format_location(location: Sequence[int | str]) -> str:
    """``("body", "records", 3, "name")`` → ``body.records[3].name``."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "request"


def _field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    errors = []
    for error in exc.errors():
        kind = str(error.get("type", "invalid"))
        location = tuple(error.get("loc", ()))
        message = str(error.get("msg", "Invalid value"))
        if kind == "json_invalid":
            # The location holds the byte offset of the syntax error, not a field.
            position = location[1] if len(location) > 1 else None
            reason = (error.get("ctx") or {}).get("error", "invalid JSON")
            message = f"Body is not valid JSON ({reason}" + (
                f" at character {position})" if position is not None else ")"
            )
            location = location[:1]
        errors.append({"field": format_location(location), "message": message, "type": kind})
    return errors


def render_problem(exc: ProblemError, path: str, request_id: str | None) -> Response:
    return problem_response(
        status=exc.status_code,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        instance=path,
        request_id=request_id,
        headers=exc.headers,
        extensions=exc.extensions,
    )


async def _handle_problem_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return render_problem(exc, request.url.path, current_request_id(request))


async def _handle_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    malformed = any(error["type"] == "json_invalid" for error in errors)
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    if len(errors) > 5:
        summary += f"; and {len(errors) - 5} more"
    return problem_response(
        status=422,
        code="MALFORMED_JSON" if malformed else "VALIDATION_FAILED",
        title="Unprocessable Content",
        detail=f"The request is not valid: {summary}" if summary else "The request is not valid.",
        instance=request.url.path,
        request_id=current_request_id(request),
        errors=errors,
    )


_FRAMEWORK_DETAILS: dict[int, str] = {
    404: "No endpoint at {path}. The API reference is at /docs.",
    405: "{method} is not allowed on {path}; see the Allow header.",
    413: "The request body is larger than this endpoint accepts.",
}


async def _handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, UnicodeDecodeError | RecursionError):
        # FastAPI answers 400 for a JSON body that is not UTF-8 or nests deeper than the
        # parser goes (thousands of levels): malformed JSON like any other.
        message = (
            "Body is not valid JSON (not UTF-8 text)"
            if isinstance(exc.__cause__, UnicodeDecodeError)
            else "Body is not valid JSON (nested too deeply)"
        )
        return problem_response(
            status=422,
            code="MALFORMED_JSON",
            title="Unprocessable Content",
            detail=f"The request is not valid: body: {message}",
            instance=request.url.path,
            request_id=current_request_id(request),
            errors=[{"field": "body", "message": message, "type": "json_invalid"}],
        )
    template = _FRAMEWORK_DETAILS.get(exc.status_code)
    detail = (
        template.format(path=request.url.path, method=request.method)
        if template and exc.detail == HTTPStatus(exc.status_code).phrase
        else exc.detail
    )
    headers = dict(exc.headers or {})
    if exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        headers["Allow"] = _allowed_methods(request, headers.get("Allow", ""))
    return problem_response(
        status=exc.status_code,
        code=code_for_status(exc.status_code),
        detail=detail,
        instance=request.url.path,
        request_id=current_request_id(request),
        headers=headers,
    )


def _allowed_methods(request: Request, first_route: str) -> str:
    """The methods the documented resource takes; Starlette's 405 names only the first
    matching route's. As in OpenAPI, a concrete path (`/v1/extracts/estimate`) is
    matched before a templated one (`/v1/extracts/{extract_id}`)."""
    matching = [
        (template.count("{"), {method.upper() for method in item})
        for template, item in request.app.openapi().get("paths", {}).items()
        if _path_pattern(template).fullmatch(request.url.path)
    ]
    if not matching:  # a route outside the document
        return first_route
    fewest = min(parameters for parameters, _ in matching)
    methods = set().union(*(m for parameters, m in matching if parameters == fewest))
    return ", ".join(sorted(methods))


@lru_cache(maxsize=1024)
def _path_pattern(template: str) -> re.Pattern[str]:
    return compile_path(template)[0]


def internal_error_response(path: str, request_id: str | None) -> Response:
    """The 500 answer: says nothing about the failure beyond the request id to quote."""
    return problem_response(
        status=500,
        code="INTERNAL_ERROR",
        detail="An unexpected error occurred. Quote the request id when reporting it.",
        instance=path,
        request_id=request_id,
    )


# How long a client should wait before retrying when the database cannot be reached;
# with the database back, the next request succeeds (connections are checked or
# replaced), so this only paces the retries.
UNAVAILABLE_RETRY_AFTER_SECONDS = 5


def unavailable_response(path: str, request_id: str | None) -> Response:
    """The answer when the database cannot be reached: 503 ``UNAVAILABLE``, retry later."""
    problem = ServiceUnavailableError(
        "The registry's database cannot be reached at the moment. Retry after the "
        "number of seconds in Retry-After; nothing needs to be restarted on your side.",
        headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)},
    )
    return render_problem(problem, path, request_id)


async def _handle_unexpected(request: Request, exc: Exception) -> Response:
    # Starlette's ServerErrorMiddleware calls this, sends the answer and re-raises,
    # so RequestContextMiddleware logs the failure once.
    if database_unreachable(exc):
        return unavailable_response(request.url.path, current_request_id(request))
    return internal_error_response(request.url.path, current_request_id(request))


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _handle_unexpected)
    app.add_exception_handler(ProblemError, _handle_problem_error)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, _handle_http_exception)


def problem_examples(status: int, codes: Sequence[str]) -> dict[str, Any]:
    """OpenAPI examples of problem documents, one per code."""
    return {
        code: {
            "summary": code,
            "value": {
                "type": problem_type(code),
                "title": HTTPStatus(status).phrase,
                "status": status,
                "detail": "A sentence saying what was wrong and how to fix it.",
                "instance": "/v1/…",
                "code": code,
                "request_id": "5f0c6c1e7a0b4a43a3b1d2c9e8f7a6b5",
            },
        }
        for code in codes
    }


# What app/auth answers on every endpoint an agency calls with its key and a purpose,
# for the routers' ``problem_responses``: spread ``AGENCY_CODES`` into ``codes=`` and add
# an endpoint's own codes (a status it does not list is left out of its document).
UNAUTHENTICATED_CODES = ("UNAUTHENTICATED", "INVALID_CREDENTIALS")
NOT_ALLOWED_CODES = ("PURPOSE_NOT_ALLOWED", "OPERATION_NOT_ALLOWED")
THROTTLED_CODES = ("RATE_LIMITED", "QUOTA_EXCEEDED")
AGENCY_CODES: Mapping[int, Sequence[str]] = {
    400: ("PURPOSE_REQUIRED",),
    401: UNAUTHENTICATED_CODES,
    403: NOT_ALLOWED_CODES,
    429: THROTTLED_CODES,
}


def problem_responses(
    *statuses: int, codes: Mapping[int, Sequence[str]] | None = None
) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting problem+json answers, one example per code."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        status_codes = list((codes or {}).get(status) or [code_for_status(status)])
        examples = problem_examples(status, status_codes)
        documented[status] = {
            "model": Problem,
            "description": HTTPStatus(status).phrase
            + ": "
            + ", ".join(f"`{code}`" for code in status_codes),
            "content": {PROBLEM_MEDIA_TYPE: {"examples": examples}},
        }
    return documented
