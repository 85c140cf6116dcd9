"""Real servers for reliability tests: `popreg serve` processes with their logs kept."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.cleaning.test_durability import stop
from tests.ports import free_port_in

__all__ = ["free_port", "popreg", "serve", "stop", "wait_ready"]

# The ports these tests (and bench/soak.py's short profile) may use.
PORTS = range(18300, 18400)


def free_port() -> int:
    """A port of ``PORTS`` nothing listens on now."""
    return free_port_in(PORTS)


def serve(
    database_url: str, port: int, log: Path, settings: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``popreg serve`` in a process of its own, its log (JSON lines) appended to ``log``."""
    return popreg(["serve", "--port", str(port)], database_url, log, settings)


def popreg(
    arguments: list[str], database_url: str, log: Path, settings: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``popreg …`` (``serve``, ``worker``) with the tests' settings, logging to ``log``."""
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "app.cli", *arguments],
            env={
                **os.environ,
                "POPREG_DATABASE_URL": database_url,
                "POPREG_LOG_FORMAT": "json",
                "POPREG_ACCESS_LOG": "false",
                "POPREG_RATE_LIMITS": "false",
                "POPREG_CLEANING_LEASE_SECONDS": "5",
                "POPREG_WEBHOOK_POLL_SECONDS": "0.2",
                "POPREG_WEBHOOK_BACKOFF_BASE_SECONDS": "0.2",
                "POPREG_WEBHOOK_BACKOFF_MAX_SECONDS": "1",
                # A killed server's claims run out after (4 + 1) × this + 5 s.
                "POPREG_WEBHOOK_TIMEOUT_SECONDS": "1",
                **(settings or {}),
            },
            stdout=output,
            stderr=output,
        )


def wait_ready(base: str, process: subprocess.Popen[bytes] | None = None) -> None:
    """Until ``/readyz`` answers 200: a minute at most (the machine may be busy)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the server at {base} did not start within a minute")
