"""Nothing lost, nothing doubled, nobody audited twice: leases, and kill -9 mid-extract."""

import signal
import time
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
from sqlalchemy import Engine, func, select

from app.config import Settings
from app.db import Database
from app.extracts import repository
from app.extracts.worker import ExtractWorker
from app.main import create_app
from app.models import AuditEvent
from tests.audit.test_processes import free_port
from tests.cleaning.test_durability import serve, wait_ready
from tests.conftest import Registry
from tests.extracts.conftest import BULK, BULK_WARD, REFERENCE, Town, headers, start


def audited(engine: Engine, request_id: str) -> dict[str, int]:
    """Extract audit records per citizen for the extract started with ``request_id``."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(AuditEvent.personal_id, func.count())
            .where(AuditEvent.operation == "extract", AuditEvent.request_id == request_id)
            .group_by(AuditEvent.personal_id)
        ).all()
    return {str(personal_id): int(count) for personal_id, count in rows}


def drain(database: Database) -> None:
    worker = ExtractWorker(database)
    while worker.run_once():
        pass


@pytest.mark.anyio
async def test_an_expired_lease_is_taken_over_and_the_late_worker_stores_nothing(
    registry: Registry, town: Town, engine: Engine, settings: Settings
) -> None:
    app = create_app(settings.model_copy(update={"extract_chunk_rows": 500}))
    database = app.state.database
    try:
        drain(database)  # other tests' leftovers first, so the next claim is this extract's
        auth = {**headers(registry), "X-Request-ID": "extract-lease-test"}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            job = (await start(client, auth, ward=BULK_WARD)).json()
        with engine.begin() as connection:
            # A worker claims the first chunk and dies: its lease (here: already over) runs out.
            claimed = repository.claim_chunk(connection, "crashed", timedelta(seconds=-1))
        assert claimed is not None
        assert claimed[0] == job["id"]
        assert ExtractWorker(database).run_once()  # another worker takes it over
        with engine.begin() as connection:
            late = repository.finish_chunk(
                connection,
                job["id"],
                claimed[1],
                "crashed",
                b"",
                500,
                500,
                [],
                claimed_at=datetime.now(UTC),
            )
        drain(database)
        with engine.connect() as connection:
            done = repository.get_job(connection, job["id"])
    finally:
        database.dispose()
    assert late is False  # the first worker, back too late, stores nothing
    assert done is not None
    assert done["state"] == "done"
    assert done["rows_processed"] == done["rows_written"] == BULK
    counts = audited(engine, "extract-lease-test")
    assert len(counts) == BULK
    assert set(counts.values()) == {1}


def test_kill_9_mid_extract_then_restart_gives_each_citizen_one_row_and_one_audit_record(
    database_url: str, registry: Registry, town: Town, engine: Engine
) -> None:
    auth = {**headers(registry), "X-Request-ID": "extract-kill-test"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    small_chunks = {"POPREG_EXTRACT_CHUNK_ROWS": "10"}
    server = serve(database_url, port, small_chunks)
    try:
        wait_ready(base)
        created = httpx.post(
            f"{base}/v1/extracts",
            json={"cohort": {"ward": BULK_WARD, "reference_date": REFERENCE.isoformat()}},
            headers=auth,
            timeout=30,
        )
        assert created.status_code == 202, created.text
        job_url = f"{base}{created.headers['location']}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            processed = httpx.get(job_url, headers=auth).json()["rows_processed"]
            if processed > 0:
                break
            time.sleep(0.01)
        server.send_signal(signal.SIGKILL)
        server.wait()
        assert 0 < processed < BULK  # killed mid-extract
    finally:
        server.kill()
        server.wait()

    server = serve(database_url, port, small_chunks)
    try:
        wait_ready(base)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job = httpx.get(job_url, headers=auth).json()
            if job["state"] == "done":
                break
            time.sleep(0.2)
        assert job["state"] == "done", job
        data = httpx.get(f"{job_url}/data", headers=auth, timeout=30)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
    assert job["rows_processed"] == job["rows_written"] == BULK
    extracted = [orjson.loads(line)["personal_id"] for line in data.content.splitlines()]
    assert sorted(extracted) == sorted(town.bulk)  # each citizen once
    assert audited(engine, "extract-kill-test") == dict.fromkeys(town.bulk, 1)
