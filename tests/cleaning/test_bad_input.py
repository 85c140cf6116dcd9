"""Whole-file problems are refused before anything is stored; another agency sees nothing."""

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from sqlalchemy import Engine, func, select

from app.config import Settings
from app.main import create_app
from app.models import CleaningJob
from tests.cleaning.conftest import upload
from tests.conftest import Registry

pytestmark = pytest.mark.anyio

TELECOM = "saomai-telecom"


def job_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(CleaningJob)).scalar_one())


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"", "text/csv", 400, "EMPTY_FILE"),
        (b"  \n\n", "text/csv", 400, "EMPTY_FILE"),
        (b"full_name,birth_date\nA,1985\n", "text/csv", 400, "MISSING_COLUMNS"),
        (b'{"id_number": "079085000103"}\n', "text/csv", 415, "NOT_CSV"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text/csv", 415, "NOT_CSV"),
        (b"id_number,full_name\n079085000103,A\n", "application/x-ndjson", 415, "NOT_NDJSON"),
        (b"id_n\xe9mero,h\xf4\n1,2\n", "text/csv", 400, "BAD_ENCODING"),  # Latin-1
        (b"\xff\xfei\x00d\x00", "text/csv", 415, "NOT_CSV"),  # UTF-16
        (b"id_number\n079085000103\n", "application/json", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ],
)
async def test_a_bad_file_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
    registry: Registry,
    engine: Engine,
    body: bytes,
    content_type: str,
    status: int,
    code: str,
) -> None:
    before = job_count(engine)
    response = await upload(client, registry.keys[TELECOM], body, content_type=content_type)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert job_count(engine) == before


async def test_missing_columns_names_what_was_found(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    response = await upload(client, registry.keys[TELECOM], "ho_ten,ngay_sinh\nA,1985\n")
    problem = response.json()
    assert problem["missing"] == ["id_number"]
    assert problem["header"] == ["ho_ten", "ngay_sinh"]
    assert "map=personal_id:" in problem["detail"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"map": "nonsense"}, "INVALID_MAPPING"),
        ({"map": "shoe_size:x"}, "INVALID_MAPPING"),
        ({"map": "email:mail"}, "INVALID_MAPPING"),  # the purpose may not check e-mail
        ({"sector": "fishing"}, "VALIDATION_FAILED"),
    ],
)
async def test_bad_parameters_are_refused(
    client: httpx.AsyncClient, registry: Registry, params: dict[str, str], code: str
) -> None:
    response = await upload(client, registry.keys[TELECOM], "id_number\n1\n", params=params)
    assert response.status_code in (400, 422)
    assert response.json()["code"] == code


async def test_a_purpose_without_clean_is_refused(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    response = await upload(
        client, registry.keys["phusa-bank"], "id_number\n1\n", purpose="kyc_onboarding"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "OPERATION_NOT_ALLOWED"


@pytest.fixture
async def small_limits_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    limited = settings.model_copy(
        update={
            "cleaning_max_rows": 3,
            "cleaning_chunk_rows": 10,
            "cleaning_max_upload_bytes": 4096,
        }
    )
    application = create_app(limited)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as client:
        yield client
    application.state.database.dispose()


async def test_too_many_rows_is_413_and_the_partial_job_is_removed(
    small_limits_client: httpx.AsyncClient, registry: Registry, engine: Engine
) -> None:
    before = job_count(engine)
    body = "id_number\n" + "079085000103\n" * 4
    response = await upload(small_limits_client, registry.keys[TELECOM], body)
    assert response.status_code == 413
    assert response.json()["code"] == "TOO_MANY_ROWS"
    assert job_count(engine) == before


async def test_too_large_is_413_before_reading(
    small_limits_client: httpx.AsyncClient, registry: Registry, engine: Engine
) -> None:
    before = job_count(engine)
    response = await upload(small_limits_client, registry.keys[TELECOM], "id_number\n" + "x" * 5000)
    assert response.status_code == 413
    assert job_count(engine) == before


async def test_another_agency_cannot_see_cancel_or_read_a_job(
    client: httpx.AsyncClient, registry: Registry, drain: Callable[[], int]
) -> None:
    owner = registry.keys[TELECOM]
    job = (await upload(client, owner, f"id_number\n{registry.head}\n")).json()
    other = {"X-API-Key": registry.keys["phusa-bank"]}
    for method, path in [
        ("GET", ""),
        ("DELETE", ""),
        ("GET", "/results"),
        ("GET", "/summary"),
    ]:
        response = await client.request(
            method, f"/v1/cleaning/jobs/{job['id']}{path}", headers=other
        )
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "JOB_NOT_FOUND"
    listed = (await client.get("/v1/cleaning/jobs", headers=other)).json()["jobs"]
    assert job["id"] not in {j["id"] for j in listed}
    mine = (await client.get("/v1/cleaning/jobs", headers={"X-API-Key": owner})).json()["jobs"]
    assert job["id"] in {j["id"] for j in mine}


async def test_cancel_stops_a_job_and_a_second_cancel_is_409(
    client: httpx.AsyncClient, registry: Registry, drain: Callable[[], int]
) -> None:
    key = {"X-API-Key": registry.keys[TELECOM]}
    job = (await upload(client, registry.keys[TELECOM], f"id_number\n{registry.head}\n")).json()
    cancelled = await client.delete(f"/v1/cleaning/jobs/{job['id']}", headers=key)
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    drain()
    after = (await client.get(f"/v1/cleaning/jobs/{job['id']}", headers=key)).json()
    assert after["state"] == "cancelled"
    assert after["rows_processed"] == 0  # its chunks were no longer claimed
    again = await client.delete(f"/v1/cleaning/jobs/{job['id']}", headers=key)
    assert again.status_code == 409
    assert again.json()["code"] == "JOB_FINISHED"
