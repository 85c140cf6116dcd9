"""The published OpenAPI document: problem+json error bodies instead of FastAPI's defaults."""

from __future__ import annotations

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
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            _as_problem_document(operation)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem_schemas = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem_schemas.pop("$defs", {}))
    schemas["Problem"] = problem_schemas
    # FastAPI's own validation-error shapes are never returned by popreg.
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    app.openapi_schema = document
    return document
