"""``locust -f connectors/locustfile.py`` against a real server: calls made, none failed.

The server runs on a database of its own, seeded with a small population and the
demo agencies: the connectors change citizens (the civil registry records deaths
of whomever the sample gives it), which must not reach the session's shared
``registry`` rows. Locust is only ever run as a subprocess: importing it here
would monkey-patch this test process with gevent.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from connectors import discover
from seed import ensure_registry
from tests.audit.test_processes import free_port
from tests.cleaning.test_durability import serve, stop, wait_ready
from tests.conftest import BACKENDS
from tests.databases import create_postgres_database, drop_postgres_database

REPO = Path(__file__).parents[2]
CITIZENS = 3000


@pytest.fixture(scope="module", params=BACKENDS)
def live_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A popreg server (subprocess) on a freshly seeded database of its own; its base URL."""
    server_url, name = None, ""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'popreg.db'}"
    else:
        server_url = request.getfixturevalue("postgres_url")
        name = f"{make_url(server_url).database}_live_{uuid.uuid4().hex[:8]}"
        url = create_postgres_database(server_url, name)
    try:
        ensure_registry(url, CITIZENS)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = serve(url, port)
        try:
            wait_ready(base)
            yield base
        finally:
            stop(server)
    finally:
        if server_url is not None:
            drop_postgres_database(server_url, name)


def locust(
    base: str, prefix: Path, users: int, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "locust", "-f", "connectors/locustfile.py", "--headless"]
    command += ["-u", str(users), "-r", str(users), "-t", "4s", "--host", base]
    command += ["--csv", str(prefix), "--only-summary"]
    return subprocess.run(
        command,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def stats_by_connector(prefix: Path) -> tuple[dict[str, str], dict[str, int]]:
    """The aggregated row, and requests per connector from the names ``bank.onboard /v1/…``."""
    rows = read_csv(Path(f"{prefix}_stats.csv"))
    aggregated = next(row for row in rows if row["Name"] == "Aggregated")
    per_connector: dict[str, int] = {}
    for row in rows:
        if row["Name"] == "Aggregated":
            continue
        connector = row["Name"].split(".", 1)[0]
        per_connector[connector] = per_connector.get(connector, 0) + int(row["Request Count"])
    return aggregated, per_connector


def assert_clean(done: subprocess.CompletedProcess[str], prefix: Path) -> None:
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    failures = read_csv(Path(f"{prefix}_failures.csv"))
    exceptions = read_csv(Path(f"{prefix}_exceptions.csv"))
    assert failures == [], failures
    assert exceptions == [], exceptions


def test_the_national_mix_runs_without_a_failure(live_url: str, tmp_path: Path) -> None:
    prefix = tmp_path / "mix"
    done = locust(live_url, prefix, users=4)
    assert_clean(done, prefix)
    aggregated, per_connector = stats_by_connector(prefix)
    assert int(aggregated["Request Count"]) > 20
    assert int(aggregated["Failure Count"]) == 0
    assert len(per_connector) >= 2, per_connector


def test_every_connector_runs_under_locust(live_url: str, tmp_path: Path) -> None:
    found, _ = discover()
    prefix = tmp_path / "each"
    even = ",".join(f"{name}=1" for name in found)
    done = locust(live_url, prefix, users=len(found), env={"POPREG_LOCUST_WEIGHTS": even})
    assert_clean(done, prefix)
    aggregated, per_connector = stats_by_connector(prefix)
    assert int(aggregated["Failure Count"]) == 0
    assert set(per_connector) == set(found)
    # Each made calls beyond drawing its citizens at the start.
    rows = read_csv(Path(f"{prefix}_stats.csv"))
    working = {row["Name"].split(".", 1)[0] for row in rows if ".setup " not in row["Name"]}
    assert working >= set(found), rows
