"""Across processes: one chain from concurrent writers, and nothing lost to kill -9."""

import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from app.audit import repository
from app.audit.records import AuditEntry
from app.audit.service import verify_chain
from app.config import Settings
from app.db import build_engine
from app.schema import upgrade
from tests.conftest import BACKENDS, Registry, empty_database_url


def append_many(url: str, writer: str, batches: int) -> None:
    engine = build_engine(Settings(database_url=url))
    try:
        for batch in range(batches):
            entries = [
                AuditEntry(
                    operation="lookup", outcome="disclosed", request_id=f"{writer}-{batch}-{i}"
                )
                for i in range(5)
            ]
            repository.append(engine, entries)
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_processes_append_to_one_unbroken_chain(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = empty_database_url(backend, tmp_path, request)
    upgrade(url)
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=append_many, args=(url, name, 60)) for name in "ab"]
    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=120)
        assert process.exitcode == 0
    engine = build_engine(Settings(database_url=url))
    try:
        report = verify_chain(engine)
    finally:
        engine.dispose()
    assert report.intact, report.broken
    assert report.records == 2 * 60 * 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_kill_9_during_lookups_loses_no_audit_record_of_a_200(
    database_url: str, registry: Registry, engine: Engine
) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env={
            **os.environ,
            "POPREG_DATABASE_URL": database_url,
            "POPREG_ACCESS_LOG": "false",
            "POPREG_RATE_LIMITS": "false",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"X-API-Key": registry.keys["honglinh-hospital"], "X-Purpose": "patient_checkin"}
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/healthz", timeout=0.5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        stop_at = time.monotonic() + 1.5

        def burst(_: int) -> list[str]:
            received = []
            with httpx.Client(base_url=base, timeout=2) as client:
                while True:
                    try:
                        response = client.get(f"/v1/citizens/{registry.head}", headers=headers)
                    except httpx.TransportError:
                        return received  # the server is gone
                    if response.status_code == 200:
                        received.append(response.headers["x-request-id"])
                    if time.monotonic() > stop_at + 5:
                        return received

        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(burst, i) for i in range(8)]
            time.sleep(1.5)
            server.send_signal(signal.SIGKILL)
            received = [rid for future in futures for rid in future.result()]
    finally:
        server.kill()
        server.wait()
    assert len(received) > 50
    with engine.connect() as connection:
        audited = {
            row[0]
            for row in connection.execute(
                text("SELECT request_id FROM audit_event WHERE outcome = 'disclosed'")
            )
        }
    assert set(received) <= audited
    assert verify_chain(engine).intact
