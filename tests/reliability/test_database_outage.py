"""The database goes away and comes back: 503 ``UNAVAILABLE`` meanwhile, no restart needed.

PostgreSQL: the server reaches the database through a TCP proxy that the test cuts
(new connections refused, open ones reset) and restores. SQLite: another process
holds the database's write lock for longer than the busy timeout.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson
import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app.audit.service import verify_chain
from app.config import Settings
from app.db import build_engine, build_read_engine, database_unreachable
from tests.conftest import Registry
from tests.events.conftest import CIVIL, People, Receiver, key, today
from tests.reliability.proxy import ToggleProxy
from tests.reliability.servers import free_port, popreg, serve, stop, wait_ready

BANK = {"X-Purpose": "kyc_onboarding"}
TELECOM = {"X-Purpose": "subscriber_verification"}
Call = Callable[[httpx.Client], httpx.Response]


def calls(registry: Registry, people: list[str], token: str) -> dict[str, Call]:
    """One request of each kind that needs the database, by name."""
    bank = {"X-API-Key": registry.keys["phusa-bank"], **BANK}
    telecom = {"X-API-Key": registry.keys["saomai-telecom"], **TELECOM}
    civil = {"X-API-Key": key(CIVIL), "X-Purpose": "civil_status"}
    names = iter(range(1, 1000))

    def name_change(client: httpx.Client) -> httpx.Response:
        n = next(names)
        body = {
            "personal_id": people[n % len(people)],
            "full_name": f"Nguyễn Văn Đổi {n}",
            "changed_on": today(),
        }
        return client.post("/v1/civil/name-changes", json=body, headers=civil)

    claims = {"personal_id": registry.head, "claims": {"full_name": "Trần Minh Khôi"}}
    return {
        "lookup": lambda c: c.get(f"/v1/citizens/{registry.head}", headers=bank),
        "verify": lambda c: c.post("/v1/identity/verify", json=claims, headers=telecom),
        "batch verify": lambda c: c.post(
            "/v1/identity/verify/batch", json={"records": [claims, claims]}, headers=telecom
        ),
        "consent": lambda c: c.post(
            "/v1/me/consents",
            json={"agency": "phusa-bank", "purpose": "contact_update", "days": 30},
            headers={"Authorization": f"Bearer {token}"},
        ),
        "life event": name_change,
        "cleaning upload": lambda c: c.post(
            "/v1/cleaning/jobs",
            params={"sector": "telecom"},
            content=f"id_number\n{registry.head}\n{registry.spouse}\n".encode(),
            headers={**telecom, "Content-Type": "text/csv"},
        ),
        "change feed": lambda c: c.get("/v1/events", headers=civil),
        "agency": lambda c: c.get("/v1/agencies/me", headers=bank),
    }


def citizen_token(client: httpx.Client, personal_id: str) -> str:
    response = client.post("/v1/citizen/login", json={"personal_id": personal_id, "code": "123456"})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def assert_unavailable(name: str, response: httpx.Response, code: str = "UNAVAILABLE") -> None:
    assert response.status_code == 503, (name, response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code, (name, response.text)
    assert int(response.headers["retry-after"]) > 0
    for leak in ("Traceback", "psycopg", "sqlite3", "SELECT", "INSERT"):
        assert leak not in response.text  # nothing of the failure reaches the client


def log_lines(log: Path) -> list[dict[str, object]]:
    lines = log.read_text(encoding="utf-8").splitlines()
    return [orjson.loads(line) for line in lines if line.startswith("{")]


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.parametrize(
    ("error", "unreachable"),
    [
        (psycopg.OperationalError("connection failed: Connection refused"), True),
        (psycopg.errors.AdminShutdown("terminating connection"), True),  # 57P01
        (psycopg.errors.CannotConnectNow("the database system is starting up"), True),
        (OperationalError("SELECT 1", {}, psycopg.OperationalError("server closed")), True),
        (PoolTimeoutError("QueuePool limit of size 10 overflow 10 reached"), True),
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("unable to open database file"), True),
        # About the statement, not the server: a bug to see as a 500.
        (psycopg.errors.DeadlockDetected("deadlock detected"), False),
        (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), False),
        (ProgrammingError("SELECT x", {}, psycopg.ProgrammingError("no such column")), False),
        (sqlite3.OperationalError("no such table: citizen"), False),
        (ValueError("not a database error"), False),
    ],
)
def test_database_unreachable_tells_an_outage_from_a_failing_statement(
    error: BaseException, unreachable: bool
) -> None:
    assert database_unreachable(error) is unreachable


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_postgresql_out_of_reach_answers_503_then_recovers_without_restart(
    database_url: str, registry: Registry, engine: Engine, tmp_path: Path
) -> None:
    target = make_url(database_url)
    proxy = ToggleProxy((target.host or "127.0.0.1", target.port or 5432))
    proxied = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    people = [People(engine).add() for _ in range(3)]
    receiver = Receiver()
    receiver.start()
    base = f"http://127.0.0.1:{free_port()}"
    log = tmp_path / "server.log"
    server = serve(proxied, int(base.rsplit(":", 1)[1]), log, {"POPREG_DB_POOL_TIMEOUT": "3"})
    # A worker process too: its cleaning threads and webhook sender meet the outage as well.
    worker_log = tmp_path / "worker.log"
    worker = popreg(["worker"], proxied, worker_log)
    try:
        wait_ready(base, server)
        with httpx.Client(base_url=base, timeout=30) as client:
            subscribed = client.post(
                "/v1/subscriptions",
                headers={"X-API-Key": key(CIVIL)},
                json={
                    "url": receiver.url,
                    "purpose": "civil_status",
                    "event_types": ["name_change"],
                },
            )
            assert subscribed.status_code == 201, subscribed.text
            each = calls(registry, people, citizen_token(client, registry.spouse))
            for name, call in each.items():  # all served (and the API keys cached)
                assert call(client).status_code < 300, name

            proxy.cut()
            for name, call in each.items():
                assert_unavailable(name, call(client))
            assert_unavailable("readyz", client.get("/readyz"), "DATABASE_UNAVAILABLE")
            assert client.get("/healthz").status_code == 200
            time.sleep(2)  # the cleaning worker, the dispatcher, the indexer meet the outage
            proxy.restore()

            # The same process serves again, at the first attempt of each request.
            acknowledged = {}
            for name, call in each.items():
                response = call(client)
                assert response.status_code < 300, (name, response.text)
                acknowledged[name] = response
            assert server.poll() is None
            assert worker.poll() is None

            # The background threads resumed: the job uploaded after the outage is
            # cleaned, the event recorded after it is delivered.
            job = acknowledged["cleaning upload"].headers["location"]
            telecom = {"X-API-Key": registry.keys["saomai-telecom"]}
            assert wait_for(lambda: client.get(job, headers=telecom).json()["state"] == "done")
            event = acknowledged["life event"].json()["events"][0]["id"]
            assert wait_for(lambda: event in {e["id"] for e in receiver.events()})

            # The database restarts under the server (every backend terminated): the
            # pools notice and reconnect, so not even one request fails.
            with engine.connect() as connection:
                ended = connection.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
            assert ended > 0
            for name, call in each.items():
                response = call(client)
                assert response.status_code < 300, (name, response.text)
    finally:
        stop(server)
        stop(worker)
        proxy.close()
        receiver.stop()

    # Nothing disclosed without its audit record, and the chain is whole.
    lookup = acknowledged["lookup"].headers["x-request-id"]
    with engine.connect() as connection:
        audited = connection.execute(
            text("SELECT outcome FROM audit_event WHERE request_id = :id"), {"id": lookup}
        ).scalars()
        assert list(audited) == ["disclosed"]
    assert verify_chain(engine).intact

    # One warning line per request the outage failed, no stack trace, no 500.
    lines = log_lines(log)
    unreachable = [line for line in lines if line["message"] == "database unreachable"]
    assert len(unreachable) == len(each)
    assert all("stack" not in line for line in unreachable)
    assert not [line for line in lines if line["message"] == "unhandled error"]
    # The cleaning threads of the server and of the worker paused once and resumed.
    for threads in (lines, log_lines(worker_log)):
        said = [str(line["message"]) for line in threads if "cleaning" in str(line["message"])]
        assert said == [
            "database unreachable: cleaning paused until it is back",
            "database reachable again: cleaning resumed",
        ], said


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_postgresql_connections_give_up_on_a_silent_peer_within_seconds(
    settings: Settings,
) -> None:
    # A partition sends no reset: without keepalives a query in flight would wait for
    # the system's two hours. Both pools' connections carry the libpq options.
    for build in (build_engine, build_read_engine):
        engine = build(settings)
        try:
            connection = engine.raw_connection()
            options = dict(
                item.split("=", 1) for item in connection.dbapi_connection.info.dsn.split()
            )
            connection.close()
        finally:
            engine.dispose()
        assert options["keepalives"] == "1"
        silence = int(options["keepalives_idle"])
        probes = int(options["keepalives_count"]) * int(options["keepalives_interval"])
        assert silence + probes <= 30
        assert int(options["tcp_user_timeout"]) <= 30_000


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_locked_beyond_the_busy_timeout_answers_503_then_recovers(
    database_url: str, registry: Registry, engine: Engine, tmp_path: Path
) -> None:
    people = [People(engine).add() for _ in range(3)]
    base = f"http://127.0.0.1:{free_port()}"
    log = tmp_path / "server.log"
    settings = {"POPREG_SQLITE_BUSY_TIMEOUT_MS": "300", "POPREG_CLEANING_WORKERS": "1"}
    server = serve(database_url, int(base.rsplit(":", 1)[1]), log, settings)
    database = make_url(database_url).database
    assert database is not None
    try:
        wait_ready(base, server)
        with httpx.Client(base_url=base, timeout=30) as client:
            each = calls(registry, people, citizen_token(client, registry.spouse))
            for name, call in each.items():
                assert call(client).status_code < 300, name

            # Another process takes the write lock and keeps it: reads go on, writes wait
            # for the busy timeout, then give up.
            holder = sqlite3.connect(database, isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
            try:
                writes = {
                    # A disclosure whose audit record cannot be written is not disclosed.
                    "lookup": "AUDIT_UNAVAILABLE",
                    "verify": "AUDIT_UNAVAILABLE",
                    "consent": "UNAVAILABLE",
                    "life event": "UNAVAILABLE",
                    "cleaning upload": "UNAVAILABLE",
                }
                for name, code in writes.items():
                    assert_unavailable(name, each[name](client), code)
            finally:
                holder.rollback()
                holder.close()

            for name, call in each.items():
                response = call(client)
                assert response.status_code < 300, (name, response.text)
            job = each["cleaning upload"](client)
            telecom = {"X-API-Key": registry.keys["saomai-telecom"]}
            location = job.headers["location"]
            assert wait_for(lambda: client.get(location, headers=telecom).json()["state"] == "done")
            assert server.poll() is None
    finally:
        stop(server)
    assert verify_chain(engine).intact
    lines = log_lines(log)
    assert not [line for line in lines if line["message"] == "unhandled error"]
