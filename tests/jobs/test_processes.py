"""`popreg serve --job-workers N`: worker processes started, restarted, and gone with the server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.jobs.processes import leave_chunks_to_workers
from app.schema import upgrade
from tests.audit.test_processes import free_port


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:  # a thread ended meanwhile
            continue
    return found


def _workers(pid: int) -> list[int]:
    found = []
    for child in _children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile
            continue
        if b"--parent-pid" in command and _alive(child):
            found.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _until(condition: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    upgrade(url)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--job-workers", "2"],
        env={**os.environ, "POPREG_DATABASE_URL": url, "POPREG_ACCESS_LOG": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{base}/readyz", timeout=0.5).status_code == 200
        except httpx.TransportError:
            return False

    try:
        _until(ready)
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_the_server_starts_restarts_and_takes_its_workers_along(
    server: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, _ = server
    _until(lambda: len(_workers(process.pid)) == 2)
    first, second = _workers(process.pid)

    os.kill(first, signal.SIGKILL)  # a worker dies: another takes its place
    _until(lambda: len(_workers(process.pid)) == 2 and first not in _workers(process.pid))
    workers = _workers(process.pid)
    assert second in workers

    process.send_signal(signal.SIGKILL)  # the server dies: its workers stop by themselves
    process.wait()
    _until(lambda: not any(_alive(pid) for pid in workers), seconds=15)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_stopping_the_server_stops_its_workers(
    server: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, _ = server
    _until(lambda: len(_workers(process.pid)) == 2)
    workers = _workers(process.pid)
    process.terminate()  # uvicorn ends by raising the signal again: no exit code 0
    process.wait(timeout=30)
    _until(lambda: not any(_alive(pid) for pid in workers), seconds=15)


def test_the_server_leaves_chunks_to_its_workers_unless_told_otherwise() -> None:
    environ = {"POPREG_EXTRACT_WORKERS": "1", "PATH": "/usr/bin"}
    assert leave_chunks_to_workers(environ) == ["POPREG_CLEANING_WORKERS"]
    assert environ == {
        "POPREG_EXTRACT_WORKERS": "1",  # said explicitly: kept
        "POPREG_CLEANING_WORKERS": "0",
        "PATH": "/usr/bin",
    }
    assert leave_chunks_to_workers(environ) == []
