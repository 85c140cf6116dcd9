"""Extracts through the API: the cohort, the rows and their fields, audit, refusals, lifecycle."""

import csv
import io
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.agencies.schemas import PurposeWrite
from app.agencies.service import get_agency, set_purpose
from app.config import Settings
from app.db import Database
from app.extracts.worker import ExtractWorker
from app.main import create_app
from app.models import AuditEvent
from app.models.enums import CitizenField as F
from app.models.enums import Operation as Op
from tests.conftest import Registry
from tests.extracts.conftest import (
    BULK,
    BULK_WARD,
    CHANGING,
    LEGACY_WARDS,
    POLICY_FIELDS,
    WARD,
    Town,
    headers,
    start,
)

pytestmark = pytest.mark.anyio


async def finished(
    client: httpx.AsyncClient, auth: dict[str, str], drain: Callable[[], int], **cohort: Any
) -> dict[str, Any]:
    created = await start(client, auth, **cohort)
    assert created.status_code == 202, created.text
    drain()
    job = (await client.get(created.headers["location"], headers=auth)).json()
    assert job["state"] == "done", job
    return dict(job)


async def rows(client: httpx.AsyncClient, auth: dict[str, str], job: dict[str, Any]) -> list[Any]:
    response = await client.get(job["links"]["data"], headers=auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    return [orjson.loads(line) for line in response.content.splitlines()]


async def test_a_social_pension_extract_lists_exactly_the_cohort_with_the_policy_fields(
    client: httpx.AsyncClient, registry: Registry, town: Town, drain: Callable[[], int]
) -> None:
    auth = headers(registry)
    created = await start(client, auth, ward=WARD, age_min=75)
    assert created.status_code == 202, created.text
    job = created.json()
    assert created.headers["location"] == f"/v1/extracts/{job['id']}"
    assert job["state"] == "queued"
    assert job["fields"] == POLICY_FIELDS
    assert job["cohort"]["reference_date"] == "2026-11-22"
    people = town.people
    expected = {
        people[name]
        for name in (
            "turns_75_today",
            "turns_76_tomorrow",
            "turns_76_today",
            "widow_80",
            "leap_day_1948",
            "registered_in_2025_units",
        )
    }
    assert job["rows_total"] == len(expected)

    early = await client.get(f"/v1/extracts/{job['id']}/data", headers=auth)
    assert early.status_code == 409
    assert early.json()["code"] == "EXTRACT_NOT_FINISHED"

    assert drain() >= 1
    done = (await client.get(f"/v1/extracts/{job['id']}", headers=auth)).json()
    assert done["state"] == "done"
    assert done["rows_processed"] == done["rows_written"] == len(expected)
    assert done["progress"] == 1.0

    extracted = await rows(client, auth, done)
    assert {row["personal_id"] for row in extracted} == expected
    assert all(list(row) == POLICY_FIELDS for row in extracted)
    widow = next(r for r in extracted if r["personal_id"] == people["widow_80"])
    assert widow["birth_date"] == "1946-05-05"
    assert widow["vital_status"] == "alive"
    assert widow["permanent_address"]["legacy_ward_code"] == LEGACY_WARDS[1]
    assert widow["permanent_address"]["ward_code"] == WARD


@pytest.mark.parametrize(
    ("cohort", "names"),
    [
        ({"age_max": 75, "age_min": 75}, {"turns_75_today", "turns_76_tomorrow"}),
        # Born on 29 February 1948: 78 on 1 March 2026, not yet on 28 February.
        ({"age_min": 78, "age_max": 78, "reference_date": "2026-03-01"}, {"leap_day_1948"}),
        ({"age_min": 78, "age_max": 78, "reference_date": "2026-02-28"}, set()),
        (
            {"age_min": 70, "sex": "male"},
            {"turns_76_tomorrow", "turns_76_today", "registered_in_2025_units"},
        ),
        ({"marital_status": "widowed"}, {"widow_80"}),
        ({"vital_status": "deceased"}, {"dead_85"}),
        ({"vital_status": "missing"}, {"missing_90"}),
        ({"legacy_ward": LEGACY_WARDS[1]}, {"widow_80"}),
        (
            {"age_min": 80, "residence": "current"},
            {"widow_80", "registered_in_2025_units", "lodger_81"},
        ),
    ],
)
async def test_each_filter_narrows_the_cohort(
    client: httpx.AsyncClient,
    registry: Registry,
    town: Town,
    drain: Callable[[], int],
    cohort: dict[str, Any],
    names: set[str],
) -> None:
    auth = headers(registry)
    area = {} if "legacy_ward" in cohort else {"ward": WARD}
    job = await finished(client, auth, drain, **area, **cohort)
    found = {row["personal_id"] for row in await rows(client, auth, job)}
    assert found == {town.people[name] for name in names}


async def test_a_pre_2025_province_finds_residences_registered_in_2025_units_only(
    client: httpx.AsyncClient, registry: Registry, town: Town, drain: Callable[[], int]
) -> None:
    auth = headers(registry)
    old = await finished(client, auth, drain, legacy_province="012", age_min=79, age_max=82)
    new = await finished(client, auth, drain, province="12", age_min=79, age_max=82)
    expected = {town.people["widow_80"], town.people["registered_in_2025_units"]}
    assert {r["personal_id"] for r in await rows(client, auth, old)} >= expected
    assert {r["personal_id"] for r in await rows(client, auth, new)} >= expected


async def test_every_citizen_in_an_extract_has_exactly_one_audit_record_and_sees_it(
    committing_client: httpx.AsyncClient,
    registry: Registry,
    town: Town,
    engine: Engine,
    settings: Settings,
) -> None:
    client = committing_client
    auth = {**headers(registry), "X-Request-ID": "extract-audit-test"}
    created = await start(client, auth, ward=BULK_WARD, age_min=60, age_max=69)
    job_id = created.json()["id"]
    from app.db import Database
    from app.extracts.worker import ExtractWorker

    database = Database(settings)
    try:
        while ExtractWorker(database).run_once():
            pass
    finally:
        database.dispose()
    extracted = await rows(
        client, auth, (await client.get(f"/v1/extracts/{job_id}", headers=auth)).json()
    )
    assert len(extracted) == created.json()["rows_total"] > 100
    with engine.connect() as connection:
        audited = dict(
            connection.execute(
                select(AuditEvent.personal_id, func.count())
                .where(
                    AuditEvent.operation == "extract", AuditEvent.request_id == "extract-audit-test"
                )
                .group_by(AuditEvent.personal_id)
            ).all()
        )
        jobs = connection.execute(
            select(AuditEvent.operation, AuditEvent.outcome, AuditEvent.personal_id).where(
                AuditEvent.request_id == "extract-audit-test",
                AuditEvent.operation != "extract",
            )
        ).all()
    assert audited == {row["personal_id"]: 1 for row in extracted}
    assert sorted(tuple(j) for j in jobs) == [
        ("extract_download", "disclosed", None),
        ("extract_job", "accepted", None),
    ]

    someone = extracted[0]["personal_id"]
    login = await client.post("/v1/citizen/login", json={"personal_id": someone, "code": "123456"})
    citizen = {"Authorization": f"Bearer {login.json()['access_token']}"}
    log = (await client.get("/v1/me/access-log", headers=citizen)).json()["records"]
    entry = next(r for r in log if r["operation"] == "extract")
    assert entry["agency"] == "social-protection-demo"
    assert entry["purpose"] == "social_pension"
    assert entry["fields"] == POLICY_FIELDS
    assert entry["summary"].startswith(
        "Sở Y tế Tỉnh Demo – Bảo trợ xã hội (demo) received your personal ID number, full name"
    )
    assert "(an extract)" in entry["summary"]


async def test_csv_flattens_addresses_into_columns(
    client: httpx.AsyncClient, registry: Registry, town: Town, drain: Callable[[], int]
) -> None:
    auth = headers(registry)
    job = await finished(client, auth, drain, ward=WARD, marital_status="widowed")
    by_accept = await client.get(job["links"]["data"], headers={**auth, "Accept": "text/csv"})
    by_query = await client.get(job["links"]["data"] + "?format=csv", headers=auth)
    assert by_accept.status_code == by_query.status_code == 200
    assert by_accept.headers["content-type"] == "text/csv; charset=utf-8"
    assert by_accept.content == by_query.content
    table = list(csv.DictReader(io.StringIO(by_accept.text)))
    assert list(table[0]) == [
        "personal_id",
        "full_name",
        "birth_date",
        "sex",
        "permanent_address.address",
        "permanent_address.address_2025",
        "permanent_address.legacy_ward_code",
        "permanent_address.ward_code",
        "current_address.address",
        "current_address.address_2025",
        "current_address.legacy_ward_code",
        "current_address.ward_code",
        "vital_status",
    ]
    assert [(r["personal_id"], r["permanent_address.ward_code"]) for r in table] == [
        (town.people["widow_80"], WARD)
    ]
    refused = await client.get(job["links"]["data"], headers={**auth, "Accept": "application/pdf"})
    assert refused.status_code == 406
    assert refused.json()["code"] == "NOT_ACCEPTABLE"


async def test_lists_and_unknown_shapes_become_json_cells_in_csv(
    client: httpx.AsyncClient, registry: Registry, town: Town, drain: Callable[[], int]
) -> None:
    auth = {"X-API-Key": town.keys["extract-test-agency"], "X-Purpose": "names_only"}
    job = await finished(client, auth, drain, ward=WARD, marital_status="widowed")
    assert job["fields"] == ["personal_id", "full_name", "cards", "household"]
    table = list(
        csv.DictReader(
            io.StringIO((await client.get(job["links"]["data"] + "?format=csv", headers=auth)).text)
        )
    )
    assert table == [
        {
            "personal_id": town.people["widow_80"],
            "full_name": "Lường Thị Năm",
            "cards": "[]",
            "household.household_number": "",
            "household.relationship_to_head": "",
        }
    ]


@pytest.mark.parametrize(
    ("agency", "purpose", "status", "code"),
    [
        ("extract-test-agency", "by_consent", 403, "CONSENT_PURPOSE_NOT_SUPPORTED"),
        ("extract-test-agency", "lookup_only", 403, "OPERATION_NOT_ALLOWED"),
        ("extract-test-agency", "social_pension", 403, "PURPOSE_NOT_ALLOWED"),
        ("extract-test-agency", None, 400, "PURPOSE_REQUIRED"),
    ],
)
async def test_purposes_that_cannot_extract_are_refused_and_audited(
    client: httpx.AsyncClient,
    town: Town,
    engine: Engine,
    agency: str,
    purpose: str | None,
    status: int,
    code: str,
) -> None:
    auth = {"X-API-Key": town.keys[agency], "X-Request-ID": f"refused-{code}"}
    if purpose is not None:
        auth["X-Purpose"] = purpose
    response = await start(client, auth, ward=WARD)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    with engine.connect() as connection:
        refusal = connection.execute(
            select(AuditEvent.operation, AuditEvent.code).where(
                AuditEvent.request_id == f"refused-{code}"
            )
        ).all()
    assert [tuple(r) for r in refusal] == [("extract_job", code)]


async def test_another_agencys_extract_is_not_found(
    client: httpx.AsyncClient, registry: Registry, town: Town
) -> None:
    created = await start(client, headers(registry), ward=WARD, age_min=75)
    job_id = created.json()["id"]
    other = {"X-API-Key": town.keys["extract-test-agency"]}
    for method, path in [
        ("GET", f"/v1/extracts/{job_id}"),
        ("GET", f"/v1/extracts/{job_id}/data"),
        ("DELETE", f"/v1/extracts/{job_id}"),
    ]:
        response = await client.request(method, path, headers=other)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "EXTRACT_NOT_FOUND"
    mine = (await client.get("/v1/extracts", headers=headers(registry))).json()["extracts"]
    theirs = (await client.get("/v1/extracts", headers=other)).json()["extracts"]
    assert job_id in {e["id"] for e in mine}
    assert job_id not in {e["id"] for e in theirs}


async def test_a_cancelled_extract_audits_and_serves_only_what_was_rendered(
    client: httpx.AsyncClient, registry: Registry, town: Town, settings: Settings
) -> None:
    auth = headers(registry)
    small = settings.model_copy(update={"extract_chunk_rows": 100})
    application = create_app(small)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="http://t"
    ) as own:
        created = await start(own, auth, ward=BULK_WARD)
    application.state.database.dispose()
    job = created.json()
    assert job["chunks"] == BULK // 100
    cancelled = await client.delete(f"/v1/extracts/{job['id']}", headers=auth)
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    again = await client.delete(f"/v1/extracts/{job['id']}", headers=auth)
    assert again.status_code == 409
    assert again.json()["code"] == "EXTRACT_FINISHED"
    served = await client.get(f"/v1/extracts/{job['id']}/data", headers=auth)
    assert served.status_code == 200
    assert served.content == b""  # cancelled before any chunk was rendered


async def test_a_cohort_over_the_maximum_is_refused_and_the_estimate_says_so(
    registry: Registry, town: Town, settings: Settings
) -> None:
    limited = settings.model_copy(update={"extract_max_citizens": 100})
    application = create_app(limited)
    auth = headers(registry)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="http://t"
    ) as client:
        estimate = await client.post(
            "/v1/extracts/estimate", json={"cohort": {"ward": BULK_WARD}}, headers=auth
        )
        refused = await start(client, auth, ward=BULK_WARD)
        fits = await client.post(
            "/v1/extracts/estimate",
            json={"cohort": {"ward": WARD, "age_min": 75, "reference_date": "2026-11-22"}},
            headers=auth,
        )
    application.state.database.dispose()
    assert estimate.status_code == 200, estimate.text
    assert estimate.json()["citizens"] == 101  # counting stops one past the maximum
    assert estimate.json()["within_limit"] is False
    assert refused.status_code == 422
    assert refused.json()["code"] == "COHORT_TOO_LARGE"
    assert refused.json()["max_citizens"] == 100
    assert fits.json()["citizens"] == 6
    assert fits.json()["within_limit"] is True


async def test_an_empty_cohort_is_done_at_once_with_no_rows(
    client: httpx.AsyncClient, registry: Registry, town: Town
) -> None:
    auth = headers(registry)
    created = await start(client, auth, ward=WARD, age_min=120)
    assert created.status_code == 202
    assert created.json()["state"] == "done"
    assert created.json()["rows_total"] == 0
    assert created.json()["finished_at"] is not None
    served = await client.get(created.json()["links"]["data"] + "?format=csv", headers=auth)
    assert served.text.startswith("personal_id,full_name,birth_date,sex,permanent_address.address,")
    assert len(served.text.splitlines()) == 1


async def test_an_unknown_area_is_refused_with_its_code(
    client: httpx.AsyncClient, registry: Registry, town: Town
) -> None:
    response = await start(client, headers(registry), province="99")
    assert response.status_code == 422
    assert response.json()["code"] == "UNKNOWN_AREA"
    bad = await start(client, headers(registry), age_min=80, age_max=60)
    assert bad.status_code == 422
    assert bad.json()["code"] == "VALIDATION_FAILED"


def set_changing(engine: Engine, spec: PurposeWrite) -> None:
    with Session(engine) as session, session.begin():
        agency = get_agency(session, "extract-test-agency")
        set_purpose(session, agency, "changing", spec)


async def test_a_narrowed_policy_is_obeyed_and_a_revoked_one_fails_the_extract(
    town: Town, engine: Engine, settings: Settings
) -> None:
    auth = {"X-API-Key": town.keys["extract-test-agency"], "X-Purpose": "changing"}

    async def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
        # A fresh app each time: no policy cached from before the change.
        application = create_app(settings)
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=application), base_url="http://t"
            ) as client:
                return await client.request(method, path, headers=auth, **kwargs)
        finally:
            application.state.database.dispose()

    cohort = {"ward": WARD, "age_min": 75, "reference_date": "2026-11-22"}
    first = (await call("POST", "/v1/extracts", json={"cohort": cohort})).json()
    second = (await call("POST", "/v1/extracts", json={"cohort": cohort})).json()
    assert first["fields"] == ["personal_id", "full_name", "sex"]
    narrowed = CHANGING.model_copy(update={"fields": [F.PERSONAL_ID, F.FULL_NAME]})
    revoked = CHANGING.model_copy(update={"operations": [Op.LOOKUP]})
    database = Database(settings)
    try:
        set_changing(engine, narrowed)
        worker = ExtractWorker(database)
        while worker.run_once():
            pass
        data = await call("GET", f"/v1/extracts/{first['id']}/data")
        table = await call("GET", f"/v1/extracts/{first['id']}/data?format=csv")
        assert {tuple(orjson.loads(line)) for line in data.content.splitlines()} == {
            ("personal_id", "full_name")
        }
        assert table.text.splitlines()[0] == "personal_id,full_name"

        set_changing(engine, revoked)
        refused = await call("GET", f"/v1/extracts/{first['id']}/data")
        assert refused.status_code == 403
        assert refused.json()["code"] == "OPERATION_NOT_ALLOWED"
        # The second extract's chunks were rendered by the worker above; a third one, started
        # before the revocation and rendered after it, fails.
        set_changing(engine, CHANGING)
        third = (await call("POST", "/v1/extracts", json={"cohort": cohort})).json()
        set_changing(engine, revoked)
        while ExtractWorker(database).run_once():
            pass
        failed = await call("GET", f"/v1/extracts/{third['id']}")
    finally:
        set_changing(engine, CHANGING)
        database.dispose()
    assert second["state"] == "queued"
    assert failed.json()["state"] == "failed"
    assert "no longer allows 'extract'" in failed.json()["error"]
    assert failed.json()["rows_processed"] == 0
    with engine.connect() as connection:
        refusals = connection.execute(
            select(AuditEvent.code).where(
                AuditEvent.operation == "extract_download",
                AuditEvent.purpose == "changing",
                AuditEvent.outcome == "denied",
            )
        ).all()
    assert [tuple(r) for r in refusals] == [("OPERATION_NOT_ALLOWED",)]
