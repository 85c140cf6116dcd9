"""Nothing lost, nothing doubled: leases, and kill -9 in the middle of a job."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import Engine

from app.cleaning import repository
from app.cleaning.worker import CleaningWorker
from app.config import Settings
from app.db import Database
from tests.audit.test_processes import free_port
from tests.cleaning.conftest import upload
from tests.conftest import Registry

TELECOM = "saomai-telecom"


@pytest.mark.anyio
async def test_an_expired_lease_is_taken_over_and_the_late_worker_stores_nothing(
    client: httpx.AsyncClient, registry: Registry, engine: Engine, settings: Settings
) -> None:
    database = Database(settings)
    try:
        # Other tests' leftovers first, so that the next claim is this job's chunk.
        while CleaningWorker(database).run_once():
            pass
        created = await upload(client, registry.keys[TELECOM], f"id_number\n{registry.head}\n")
        job_id = created.json()["id"]
        with engine.begin() as connection:
            # A worker claims the chunk and dies: its lease (here: already over) runs out.
            claimed = repository.claim_chunk(connection, "crashed", timedelta(seconds=-1))
        assert claimed is not None
        assert claimed[0] == job_id
        assert CleaningWorker(database).run_once()  # another worker takes over
        with engine.begin() as connection:
            late = repository.finish_chunk(
                connection, job_id, claimed[1], "crashed", b"", {}, 1, None, ()
            )
            job = repository.get_job(connection, job_id)
    finally:
        database.dispose()
    assert late is False  # the first worker, back too late, stores nothing
    assert job is not None
    assert job["state"] == "done"
    assert job["rows_processed"] == 1


def serve(
    database_url: str, port: int, settings: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``popreg serve`` in a process of its own, with short leases (and ``settings``)."""
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env={
            **os.environ,
            "POPREG_DATABASE_URL": database_url,
            "POPREG_ACCESS_LOG": "false",
            "POPREG_RATE_LIMITS": "false",
            "POPREG_CLEANING_CHUNK_ROWS": "200",
            "POPREG_CLEANING_LEASE_SECONDS": "5",
            **(settings or {}),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if it has not exited within 15 s."""
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def wait_ready(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=0.5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not start")


@pytest.mark.parametrize("rows", [6000])
def test_kill_9_mid_job_then_restart_gives_exactly_one_result_per_row(
    database_url: str, registry: Registry, tmp_path: Path, rows: int
) -> None:
    people = [registry.head, registry.spouse, registry.unknown, "12ab"]
    body = "id_number,full_name\n" + "".join(
        f"{people[i % len(people)]},Trần Minh Khôi\n" for i in range(rows)
    )
    headers = {"X-API-Key": registry.keys[TELECOM], "X-Purpose": "subscriber_verification"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(database_url, port)
    try:
        wait_ready(base)
        created = httpx.post(
            f"{base}/v1/cleaning/jobs",
            params={"sector": "telecom"},
            headers={**headers, "Content-Type": "text/csv"},
            content=body.encode(),
            timeout=30,
        )
        assert created.status_code == 202, created.text
        job_url = f"{base}{created.headers['location']}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            processed = httpx.get(job_url, headers=headers).json()["rows_processed"]
            if processed > 0:
                break
            time.sleep(0.02)
        server.send_signal(signal.SIGKILL)
        server.wait()
        assert 0 < processed < rows  # killed mid-job
    finally:
        server.kill()
        server.wait()

    server = serve(database_url, port)
    try:
        wait_ready(base)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job = httpx.get(job_url, headers=headers).json()
            if job["state"] == "done":
                break
            time.sleep(0.2)
        assert job["state"] == "done", job
        assert job["rows_processed"] == rows
        results = httpx.get(f"{job_url}/results", headers=headers, timeout=30)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
    numbers = [orjson.loads(line)["row"] for line in results.content.splitlines()]
    assert numbers == list(range(1, rows + 1))  # each row once, in input order


@pytest.mark.anyio
async def test_an_upload_whose_sender_went_away_fails_and_has_no_results(
    client: httpx.AsyncClient, registry: Registry, engine: Engine, settings: Settings
) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import update

    from app.models import CleaningJob, JobState

    created = await upload(client, registry.keys[TELECOM], f"id_number\n{registry.head}\n")
    job_id = created.json()["id"]
    # As if the upload had stopped half-way an hour ago (the server died mid-upload).
    with engine.begin() as connection:
        connection.execute(
            update(CleaningJob)
            .where(CleaningJob.id == job_id)
            .values(state=JobState.RECEIVING, updated_at=datetime(2026, 1, 1, tzinfo=UTC))
        )
    database = Database(settings)
    try:
        CleaningWorker(database).run_once()  # sweeps stalled uploads first
    finally:
        database.dispose()
    key = {"X-API-Key": registry.keys[TELECOM]}
    job = (await client.get(f"/v1/cleaning/jobs/{job_id}", headers=key)).json()
    assert job["state"] == "failed"
    assert "stopped before the end of the file" in job["error"]
    results = await client.get(f"/v1/cleaning/jobs/{job_id}/results", headers=key)
    assert results.status_code == 409
    assert "failed" in results.json()["detail"]


@pytest.mark.anyio
async def test_two_claimants_on_postgresql_take_different_chunks_of_one_job(
    settings: Settings, registry: Registry, engine: Engine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one claimant at a time (its single write lock)")
    from app.main import create_app

    small = settings.model_copy(update={"cleaning_chunk_rows": 10})
    application = create_app(small)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        database = application.state.database
        while CleaningWorker(database).run_once():  # other tests' leftovers first
            pass
        body = "id_number\n" + f"{registry.head}\n" * 30  # three chunks
        job_id = (await upload(client, registry.keys[TELECOM], body)).json()["id"]
    application.state.database.dispose()
    first, second = engine.connect(), engine.connect()
    try:
        with first.begin(), second.begin():
            # Both transactions are open at once, as in two worker processes.
            a = repository.claim_chunk(first, "a", timedelta(seconds=60))
            b = repository.claim_chunk(second, "b", timedelta(seconds=60))
            assert a is not None
            assert b is not None
            assert a[0] == b[0] == job_id
            assert a[1] != b[1]  # SKIP LOCKED: the second took the next chunk
    finally:
        first.close()
        second.close()
        with engine.begin() as connection:
            repository.cancel(connection, job_id)  # leave nothing for other tests
