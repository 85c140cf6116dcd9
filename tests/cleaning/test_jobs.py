"""Cleaning jobs through the API: upload, process, results in order, summary, audit, fees."""

import csv
import io
from collections.abc import Callable

import httpx
import orjson
import pytest
from sqlalchemy import Engine, select

from app.audit import repository as audit_repository
from app.audit.records import record_hash
from app.cleaning.worker import CleaningWorker
from app.config import Settings
from app.main import create_app
from app.models import AuditEvent, AuditSubject
from tests.cleaning.conftest import upload
from tests.conftest import Registry

pytestmark = pytest.mark.anyio

TELECOM = "saomai-telecom"
HEADER = "subscriber_id,msisdn,full_name,birth_date,id_number,status\n"


def telecom_file(registry: Registry) -> str:
    return HEADER + "".join(
        [
            f"S1,0903123456,Trần Minh Khôi,1985-09-02,{registry.head},active\n",  # clean
            f"S2,0903123456,TRAN MINH KHOI,02/09/1985,{registry.head},active\n",  # diacritics
            f"S3,0909999999,Trần Minh Khôi,1985-09-02,{registry.head},active\n",  # phone
            f"S4,,Lê Thị Hoa,1958-07-07,{registry.deceased},active\n",  # deceased
            f"S5,,Nguyễn Văn Vắng,1985-01-01,{registry.unknown},active\n",  # not found
            "S6,,Nguyễn Văn Sai,1985-01-01,12ab,active\n",  # invalid ID
            "S7,too,few\n",  # wrong number of columns
        ]
    )


async def results(client: httpx.AsyncClient, key: str, job_id: str) -> list[dict[str, object]]:
    response = await client.get(f"/v1/cleaning/jobs/{job_id}/results", headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    return [orjson.loads(line) for line in response.content.splitlines()]


async def test_a_telecom_file_gets_one_verdict_per_row_in_order(
    client: httpx.AsyncClient, registry: Registry, drain: Callable[[], int]
) -> None:
    key = registry.keys[TELECOM]
    created = await upload(client, key, telecom_file(registry))
    assert created.status_code == 202, created.text
    job = created.json()
    assert created.headers["location"] == f"/v1/cleaning/jobs/{job['id']}"
    assert job["rows_received"] == 7
    assert job["checked"] == ["full_name", "birth_date", "phone"]
    assert job["correctable"] == []  # a telecom may verify, not read

    early = await client.get(f"/v1/cleaning/jobs/{job['id']}/results", headers={"X-API-Key": key})
    assert early.status_code == 409
    assert early.json()["code"] == "JOB_NOT_FINISHED"

    assert drain() >= 1  # this job's one chunk (and any other test's leftovers)
    progress = (
        await client.get(f"/v1/cleaning/jobs/{job['id']}", headers={"X-API-Key": key})
    ).json()
    assert progress["state"] == "done"
    assert progress["rows_processed"] == 7
    assert progress["progress"] == 1.0

    rows = await results(client, key, job["id"])
    assert [r["row"] for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert [r["status"] for r in rows] == [
        "clean",
        "mismatch",
        "mismatch",
        "deceased",
        "not_found",
        "invalid",
        "invalid",
    ]
    assert rows[1]["fields"]["full_name"]["reason"] == "diacritics"
    assert rows[1]["fields"]["birth_date"]["verdict"] == "match"
    assert rows[2]["fields"]["phone"] == {"verdict": "mismatch", "reason": "different", "score": 0}
    assert "corrections" not in rows[2]
    assert rows[5]["reason"] == "invalid_id"
    assert rows[6]["reason"] == "wrong_column_count"

    summary = (
        await client.get(f"/v1/cleaning/jobs/{job['id']}/summary", headers={"X-API-Key": key})
    ).json()
    assert summary["by_status"] == {
        "clean": 1,
        "corrected": 0,
        "mismatch": 2,
        "deceased": 1,
        "not_found": 1,
        "invalid": 2,
    }
    assert summary["by_reason"]["full_name:diacritics"] == 1
    assert summary["by_reason"]["phone:different"] == 1
    # 4 rows compared with a citizen: ID + 3 claims (the deceased row has no phone).
    assert summary["fields_checked"] == 4 + 4 + 4 + 3
    assert summary["fee_vnd"] == 15_000


async def test_a_chunk_is_one_audit_record_naming_its_citizens(
    client: httpx.AsyncClient, registry: Registry, engine: Engine, drain: Callable[[], int]
) -> None:
    job = (await upload(client, registry.keys[TELECOM], telecom_file(registry))).json()
    drain()
    with engine.connect() as connection:
        records = [
            dict(row._mapping)
            for row in connection.execute(
                select(AuditEvent).where(
                    AuditEvent.operation == "clean", AuditEvent.agency_code == TELECOM
                )
            )
        ]
        [record] = [r for r in records if (r["detail"] or {}).get("job") == job["id"]]
        filed = set(
            connection.execute(
                select(AuditSubject.personal_id).where(AuditSubject.seq == record["seq"])
            ).scalars()
        )
        newest, _ = audit_repository.head(connection)
    # Rows 1-4 were compared with two citizens (the head three times, the deceased once).
    assert record["personal_id"] is None
    assert record["fields"] == ["personal_id", "full_name", "birth_date", "phone"]
    assert record["detail"]["citizens"] == sorted([registry.head, registry.deceased])
    assert record["detail"]["verifications"] == 4
    assert record["detail"]["fields_checked"] == 4 + 4 + 4 + 3
    assert record["detail"]["rows"] == [1, 7]
    assert filed == {registry.head, registry.deceased}  # the trackers' index, filed with it
    assert record["hash"] == record_hash(record["seq"], record, record["prev_hash"])
    assert newest >= record["seq"]


async def test_results_as_csv_name_every_checked_field(
    client: httpx.AsyncClient, registry: Registry, drain: Callable[[], int]
) -> None:
    key = registry.keys[TELECOM]
    job = (await upload(client, key, telecom_file(registry))).json()
    drain()
    response = await client.get(
        f"/v1/cleaning/jobs/{job['id']}/results",
        params={"format": "csv"},
        headers={"X-API-Key": key},
    )
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert len(table) == 7
    assert table[1]["full_name_reason"] == "diacritics"
    assert table[2]["phone_verdict"] == "mismatch"
    assert table[4]["status"] == "not_found"


async def test_social_insurance_gets_the_personal_id_for_an_old_cmnd(
    client: httpx.AsyncClient, registry: Registry, drain: Callable[[], int]
) -> None:
    key = registry.keys["social-insurance-demo"]
    body = (
        "record_id,full_name,birth_date,sex,id_number\n"
        f"B1,Trần Minh Khôi,1985-09-02,Nam,{registry.shared_legacy_id}\n"
        f"B2,Trần Minh Khôi,1985-09-02,Nam,{registry.head}\n"
    )
    job = (
        await upload(client, key, body, sector="social_insurance", purpose="benefit_records")
    ).json()
    assert "personal_id" in job["correctable"]
    drain()
    first, second = await results(client, key, job["id"])
    # The CMND is shared by two people; the claims name one of them.
    assert first["status"] == "corrected"
    assert first["corrections"] == {"personal_id": registry.head}
    assert first["fields"]["personal_id"]["reason"] == "legacy_id"
    assert second["status"] == "clean"


async def test_column_mapping_for_other_headers(
    client: httpx.AsyncClient, registry: Registry, drain: Callable[[], int]
) -> None:
    key = registry.keys[TELECOM]
    body = f"so_cccd;ho_ten\n{registry.head};Trần Minh Khôi\n"
    job = (
        await upload(
            client,
            key,
            body,
            sector="custom",
            params={"map": ["personal_id:so_cccd", "full_name:ho_ten"]},
        )
    ).json()
    assert job["mapping"] == {"personal_id": "so_cccd", "full_name": "ho_ten"}
    drain()
    [row] = await results(client, key, job["id"])
    assert row["status"] == "clean"


async def test_ndjson_upload(
    client: httpx.AsyncClient, registry: Registry, drain: Callable[[], int]
) -> None:
    key = registry.keys[TELECOM]
    body = (
        orjson.dumps({"id_number": registry.head, "full_name": "Trần Minh Khôi"}) + b"\nnot json\n"
    )
    job = (await upload(client, key, body, content_type="application/x-ndjson")).json()
    assert job["input_format"] == "ndjson"
    drain()
    rows = await results(client, key, job["id"])
    assert [(r["status"], r.get("reason")) for r in rows] == [
        ("clean", None),
        ("invalid", "bad_json"),
    ]


async def test_the_citizen_sees_the_job_in_the_access_log(
    settings: Settings, registry: Registry
) -> None:
    application = create_app(settings)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as client:
        key = registry.keys[TELECOM]
        job = (await upload(client, key, telecom_file(registry))).json()
        while CleaningWorker(application.state.database).run_once():
            pass
        login = await client.post(
            "/v1/citizen/login", json={"personal_id": registry.head, "code": "123456"}
        )
        token = login.json()["access_token"]
        log = await client.get(
            "/v1/me/access-log",
            params={"limit": 200},
            headers={"Authorization": f"Bearer {token}"},
        )
    application.state.database.dispose()
    about_job = [
        r for r in log.json()["records"] if r["operation"] == "clean" and r["agency"] == TELECOM
    ]
    assert about_job  # rows 1-3 of this job are about the head: its chunk's one record
    assert "in a bulk clean-up" in about_job[0]["summary"]
    assert {tuple(r["fields"]) for r in about_job} >= {
        ("personal_id", "full_name", "birth_date", "phone")
    }
    assert job["id"]
