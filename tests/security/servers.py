"""`popreg serve` processes for security and bad-input tests (ports 18200-18299).

Their stderr (the server log, JSON lines) is kept in a file and, when the server
stops, appended to the test run's log file, which tests/security/test_logs.py scans.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.log_capture import record_server_output
from tests.ports import free_port_in

PORTS = range(18200, 18300)
ADMIN = {"Authorization": "Bearer sandbox-admin-token"}


def free_port() -> int:
    """A port of ``PORTS`` nothing listens on now."""
    return free_port_in(PORTS)


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def wait_ready(server: Server, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"the server exited:\n{server.output()[-3000:]}")
        try:
            if httpx.get(f"{server.base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the server did not start:\n{server.output()[-3000:]}")


@contextmanager
def popreg_server(
    database_url: str,
    log_dir: Path,
    *,
    workers: int = 1,
    settings: dict[str, str] | None = None,
) -> Iterator[Server]:
    """``popreg serve`` with ``settings`` (``POPREG_*``), stopped (SIGTERM) afterwards."""
    port = free_port()
    log = log_dir / f"server-{port}.log"
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*command, "--workers", str(workers)],
            env={
                **os.environ,
                "POPREG_DATABASE_URL": database_url,
                "POPREG_LOG_FORMAT": "json",
                "POPREG_CLEANING_WORKERS": "0",
                "POPREG_WEBHOOKS": "false",
                **(settings or {}),
            },
            stdout=output,
            stderr=output,
        )
    server = Server(base=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        wait_ready(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        record_server_output(server.output())
