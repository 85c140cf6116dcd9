"""The published OpenAPI document: problem+json error bodies instead of FastAPI's defaults."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.problems import PROBLEM_MEDIA_TYPE, Problem, problem_examples

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _as_problem_document(operation: dict[str, Any]) -> None:
    for status, response in operation.get("responses", {}).items():
        if not status.isdigit() or int(status) < 400:
            continue
        examples = response.get("content", {}).get(PROBLEM_MEDIA_TYPE, {}).get("examples")
        response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}
        if examples:
            response["content"][PROBLEM_MEDIA_TYPE]["examples"] = examples
        if status == "422" and not examples:
            # FastAPI's automatic 422 for any endpoint with parameters or a body.
            codes = ["VALIDATION_FAILED", "MALFORMED_JSON"]
            response["description"] = (
                "The request is not valid: `VALIDATION_FAILED`, `MALFORMED_JSON`"
            )
            response["content"][PROBLEM_MEDIA_TYPE]["examples"] = problem_examples(422, codes)


LOCKED_OUT = "TOO_MANY_FAILED_ATTEMPTS"


def _documents(operation: dict[str, Any], status: int, code: str) -> None:
    """Add ``code`` to the operation's ``status`` answer, documenting the status if new."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    examples = problem_examples(status, [code])
    response = responses.get(str(status))
    if response is None:
        responses[str(status)] = {
            "description": f"{HTTPStatus(status).phrase}: `{code}`",
            "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF, "examples": examples}},
        }
        operation["responses"] = dict(sorted(responses.items()))
        return
    content = response.setdefault("content", {}).setdefault(
        PROBLEM_MEDIA_TYPE, {"schema": PROBLEM_REF}
    )
    content.setdefault("examples", {}).update(examples)
    if code not in response.get("description", ""):
        response["description"] = response.get("description", "") + f", `{code}`"


def _documents_lockout(operation: dict[str, Any]) -> None:
    """Operations that take an API key answer 429 to a locked address or key (app/auth/throttle)."""
    if any("APIKeyHeader" in scheme for scheme in operation.get("security", [])):
        _documents(operation, 429, LOCKED_OUT)


def _documents_body_limit(operation: dict[str, Any]) -> None:
    """Any request body may be too large (app/middleware.py, BodySizeLimitMiddleware)."""
    if "requestBody" in operation:
        _documents(operation, 413, "PAYLOAD_TOO_LARGE")


# Probes that answer without the database, or with their own 503 (DATABASE_UNAVAILABLE).
WITHOUT_OUTAGE = frozenset({"/healthz", "/readyz"})


def _documents_outage(path: str, operation: dict[str, Any]) -> None:
    """Any operation answers 503 UNAVAILABLE while the database cannot be reached."""
    if path not in WITHOUT_OUTAGE:
        _documents(operation, 503, "UNAVAILABLE")


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    for path, path_item in document.get("paths", {}).items():
        for operation in path_item.values():
            _as_problem_document(operation)
            _documents_lockout(operation)
            _documents_body_limit(operation)
            _documents_outage(path, operation)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem_schemas = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem_schemas.pop("$defs", {}))
    schemas["Problem"] = problem_schemas
    # FastAPI's own validation-error shapes are never returned by popreg.
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    app.openapi_schema = document
    return document
