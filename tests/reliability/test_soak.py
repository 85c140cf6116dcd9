"""The short profile of the load-and-soak run (``make soak`` is the 10-minute one).

bench/soak.py runs for 25 s against real processes: one server on SQLite, two
server processes on PostgreSQL (when a server answers), a ``popreg worker`` each,
with 5 % of the lookups faulted on purpose. The same checks as the long run, but
memory growth: 25 s is warm-up, not a soak, so the harness does not judge it
(it still samples every process) — the 10-minute run in docs/reliability.md does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from tests.databases import postgres_server_url

ROOT = Path(__file__).resolve().parents[2]
KINDS = ["lookup", "verify", "verify batch (20)", "cleaning upload", "cleaning results"]


def postgres_reachable(url: str) -> bool:
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()
    return True


def soak(backend: str, out: Path, *options: str) -> tuple[int, dict[str, Any]]:
    command = [
        sys.executable,
        str(ROOT / "bench" / "soak.py"),
        "--backend",
        backend,
        "--duration",
        "25s",
        "--citizens",
        "2000",
        "--users",
        "12",
        "--job-rows",
        "200",
        "--fault-rate",
        "0.05",
        "--drain-seconds",
        "60",
        "--out",
        str(out),
        *options,
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    summary = out / "summary.json"
    assert summary.exists(), finished.stdout + finished.stderr
    return finished.returncode, json.loads(summary.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_short_soak_has_no_errors_but_injected_ones_and_loses_no_event(
    backend: str, tmp_path: Path
) -> None:
    if backend == "sqlite":
        status, summary = soak(backend, tmp_path, "--workers", "1")
    else:
        server = postgres_server_url()
        if not postgres_reachable(server):
            pytest.skip(f"PostgreSQL not reachable at {server}")
        status, summary = soak(backend, tmp_path, "--workers", "2", "--postgres", server)

    requests = summary["requests"]
    for kind in KINDS:
        assert requests[kind]["requests"] > 0, kind
    assert any(name.startswith("civil ") for name in requests)
    # Failures: only the injected ones (and 429s, none at this pace); they are told apart.
    failures = summary["failures"]
    assert failures.get("error", 0) == 0, summary["failure_examples"]
    assert failures.get("injected", 0) > 0  # the 5 % lookup rule fired and was recognised
    assert summary["exceptions"] == []
    assert summary["log_errors"] == {}
    # Every server process and the worker were sampled; growth is not judged at 25 s.
    memory = summary["memory"]
    expected = {"serve", "worker"} | (
        {"serve worker 1", "serve worker 2"} if backend == "postgresql" else set()
    )
    assert set(memory["processes"]) == expected
    assert memory["judged"] is False
    assert memory["restarted"] == []
    assert summary["audit"]["intact"]
    assert summary["audit"]["records"] > requests["Aggregated"]["requests"] / 2
    events = summary["events"]
    assert events["acknowledged"] > 0
    assert events["unaccounted"] == []
    assert events["acknowledged_without_delivery"] == []
    assert events["bad_signature_or_truncated"] == 0
    assert summary["passed"] is True
    assert status == 0
