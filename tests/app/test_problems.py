"""Every error is problem+json with a stable code and the request id."""

from collections.abc import AsyncIterator
from http import HTTPStatus

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from app.config import Settings
from app.main import create_app
from app.problems import PROBLEM_MEDIA_TYPE, ProblemError

pytestmark = pytest.mark.anyio


class Claim(BaseModel):
    personal_id: str
    full_name: str


class CitizenGoneError(ProblemError):
    status_code = HTTPStatus.NOT_FOUND
    code = "CITIZEN_NOT_FOUND"
    title = "Citizen not found"


probe = APIRouter()


@probe.post("/probe/claims")
async def accept_claim(claim: Claim) -> dict[str, str]:
    return {"personal_id": claim.personal_id}


@probe.get("/probe/crash")
async def crash() -> None:
    raise RuntimeError("secret internals: Nguyễn Văn Bí Mật 001084000999")


@probe.get("/probe/gone")
async def gone() -> None:
    raise CitizenGoneError("No citizen has that personal ID.", headers={"X-Hint": "seed"})


@pytest.fixture
async def probe_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(settings.model_copy(update={"max_request_body_bytes": 2048}))
    app.include_router(probe)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as client:
        yield client
    app.state.database.dispose()


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == "urn:popreg:problem:" + code.lower().replace("_", "-")
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_unknown_route_is_404_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/v1/nowhere"), 404, "NOT_FOUND")
    assert body["instance"] == "/v1/nowhere"
    assert "/docs" in str(body["detail"])


async def test_wrong_method_is_405_problem_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/healthz")
    assert_problem(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "GET"


async def test_405_allow_names_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    # GET and POST /v1/me/consents are two routes; Starlette's 405 names only the first.
    response = await client.patch("/v1/me/consents")
    assert_problem(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "GET, POST"


async def test_body_that_is_not_utf8_is_malformed_json(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post(
        "/probe/claims",
        content=b'{"personal_id": "001084000999", "full_name": "\xff\xfe"}',
        headers={"content-type": "application/json"},
    )
    body = assert_problem(response, 422, "MALFORMED_JSON")
    assert body["errors"] == [
        {
            "field": "body",
            "message": "Body is not valid JSON (not UTF-8 text)",
            "type": "json_invalid",
        }
    ]


async def test_malformed_json_is_422_naming_the_body(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post(
        "/probe/claims",
        content=b'{"personal_id": "001084000999", "full_name": ',
        headers={"content-type": "application/json"},
    )
    body = assert_problem(response, 422, "MALFORMED_JSON")
    assert body["errors"] == [
        {
            "field": "body",
            "message": "Body is not valid JSON (Expecting value at character 45)",
            "type": "json_invalid",
        }
    ]


async def test_invalid_field_is_422_naming_each_field(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post("/probe/claims", json={"personal_id": 1234})
    body = assert_problem(response, 422, "VALIDATION_FAILED")
    fields = {error["field"]: error["type"] for error in body["errors"]}  # type: ignore[attr-defined]
    assert fields == {"body.personal_id": "string_type", "body.full_name": "missing"}
    assert "body.full_name" in str(body["detail"])


async def test_oversized_body_is_413_problem(probe_client: httpx.AsyncClient) -> None:
    big = {"personal_id": "001084000999", "full_name": "x" * 4000}
    assert_problem(await probe_client.post("/probe/claims", json=big), 413, "PAYLOAD_TOO_LARGE")


async def test_oversized_streamed_body_without_length_is_413(
    probe_client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b" " * 1024

    response = await probe_client.post(
        "/probe/claims", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413, "PAYLOAD_TOO_LARGE")


async def test_domain_error_carries_its_code_and_headers(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/probe/gone")
    body = assert_problem(response, 404, "CITIZEN_NOT_FOUND")
    assert body["title"] == "Citizen not found"
    assert response.headers["x-hint"] == "seed"


async def test_unhandled_error_is_500_without_internals(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/probe/crash", headers={"X-Request-ID": "trace-500"})
    body = assert_problem(response, 500, "INTERNAL_ERROR")
    assert body["request_id"] == "trace-500"
    assert "secret" not in response.text
    assert "RuntimeError" not in response.text
