"""The committed openapi/openapi.json is the app's document (refresh: `make openapi`)."""

import json
from pathlib import Path

from app.config import Settings
from app.main import create_app

DOCUMENT = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def current_document() -> dict[str, object]:
    app = create_app(Settings(access_log=False))
    try:
        return app.openapi()
    finally:
        app.state.database.dispose()


def test_committed_openapi_matches_the_app() -> None:
    committed = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert committed == current_document(), "openapi/openapi.json is stale: run `make openapi`"


def test_errors_are_documented_as_problem_json() -> None:
    document = current_document()
    for path, item in document["paths"].items():  # type: ignore[attr-defined]
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (
                        f"{method.upper()} {path} {status}"
                    )
    schemas = document["components"]["schemas"]  # type: ignore[index]
    assert "Problem" in schemas
    assert "HTTPValidationError" not in schemas


def test_every_operation_has_a_description() -> None:
    for item in current_document()["paths"].values():  # type: ignore[attr-defined]
        for operation in item.values():
            assert operation.get("description"), operation.get("operationId")


def test_every_error_response_names_its_codes_with_examples() -> None:
    for path, item in current_document()["paths"].items():  # type: ignore[attr-defined]
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                examples = response["content"]["application/problem+json"].get("examples", {})
                assert examples, f"{method.upper()} {path} {status} has no example"
                for code, example in examples.items():
                    assert example["value"]["code"] == code
                    assert example["value"]["status"] == int(status)


def _has_example(
    schema: dict[str, object] | None, schemas: dict[str, object], depth: int = 0
) -> bool:
    if not schema or depth > 3:
        return False
    if "example" in schema or "examples" in schema:
        return True
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return _has_example(schemas[name], schemas, depth + 1)  # type: ignore[arg-type]
    if schema.get("type") == "array":
        return _has_example(schema.get("items"), schemas, depth + 1)  # type: ignore[arg-type]
    return any(
        _has_example(option, schemas, depth + 1)  # type: ignore[arg-type]
        for key in ("anyOf", "allOf", "oneOf")
        for option in schema.get(key, [])  # type: ignore[attr-defined]
    )


def test_every_request_body_and_answer_has_an_example() -> None:
    document = current_document()
    schemas = document["components"]["schemas"]  # type: ignore[index]
    missing = []
    for path, item in document["paths"].items():  # type: ignore[attr-defined]
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status.startswith("2") and status != "204":
                    for media, answer in response["content"].items():
                        # Streamed files (CSV, NDJSON) carry their example beside the schema.
                        if "example" in answer and media != "application/json":
                            continue
                        if not _has_example(answer.get("schema", {}), schemas):
                            missing.append(f"{method.upper()} {path} {status} {media}")
            for media, body in operation.get("requestBody", {}).get("content", {}).items():
                if "example" in body:
                    continue
                schema = body.get("schema")
                if media == "application/x-www-form-urlencoded":
                    schema = schemas[str(schema["$ref"]).rsplit("/", 1)[-1]]
                    if all("examples" in p for p in schema["properties"].values()):
                        continue
                if not _has_example(schema, schemas):
                    missing.append(f"{method.upper()} {path} body")
    assert missing == []


def test_every_operation_with_a_body_documents_the_size_limit() -> None:
    # Found by contract fuzzing: any body over POPREG_MAX_REQUEST_BODY_BYTES is a 413.
    undocumented = [
        f"{method.upper()} {path}"
        for path, item in current_document()["paths"].items()  # type: ignore[attr-defined]
        for method, operation in item.items()
        if "requestBody" in operation
        and "PAYLOAD_TOO_LARGE" not in operation["responses"].get("413", {}).get("description", "")
    ]
    assert undocumented == []
