"""A revoked key stops working at once in every worker process, and so does a policy change.

Real ``popreg serve --workers 2`` servers on SQLite and PostgreSQL, with a credential
cache of an hour: only the cross-process change signal (app/auth/changes.py) can make
the other worker forget a key. Each agency's rate limit is kept per worker (no Redis),
so ``RateLimit-Remaining`` tells the workers apart: two answers with the same
remaining count come from two processes.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.auth.repository import LISTENER_APPLICATION_NAME
from app.schema import upgrade
from tests.conftest import BACKENDS, empty_database_url
from tests.factories import make_citizen
from tests.security.servers import ADMIN, Server, popreg_server

CITIZEN = "079085000103"
PURPOSE = "kyc_onboarding"
BURST = 1_000_000
REQUESTS = 120
SERVER_SETTINGS = {
    "POPREG_CREDENTIAL_CACHE_SECONDS": "3600",  # only the change signal can drop an entry
    "POPREG_RATE_LIMITS": "true",  # per worker: RateLimit-Remaining tells them apart
    "POPREG_AUTH_MAX_FAILURES": "0",  # hundreds of refused keys from one address
    # 40 requests at once, all reading the database after a change: small pools keep
    # the test's PostgreSQL connections well under the server's max_connections.
    "POPREG_DB_POOL_SIZE": "3",
    "POPREG_DB_MAX_OVERFLOW": "2",
    "POPREG_DB_POOL_TIMEOUT": "30",
}


def agency_spec(code: str) -> dict[str, object]:
    return {
        "code": code,
        "name": "Quỹ Tín dụng Thử nghiệm",
        "sector": "bank",
        "purposes": {
            PURPOSE: {
                "description": "Verify new members",
                "operations": ["lookup", "verify"],
                "fields": ["personal_id", "full_name", "birth_date"],
            }
        },
        # Next to no refill: each worker's remaining count goes down by one per request.
        "limits": {"rate_per_second": 0.001, "burst": BURST},
    }


@dataclass
class Answer:
    status_code: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _read(sock: socket.socket) -> Answer:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(int(status_line.split()[1]), headers, body)


def lookups(server: Server, headers: dict[str, str], count: int = REQUESTS) -> list[Answer]:
    """``count`` lookups on as many connections, all opened before the first is sent.

    Opened together, the connections are spread over both workers (one after the
    other, an idle server lets the same worker accept each).
    """
    host, port = server.base.removeprefix("http://").split(":")
    lines = [f"GET /v1/citizens/{CITIZEN} HTTP/1.1", f"Host: {host}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in {**headers, "X-Purpose": PURPOSE}.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    answers = []
    for start in range(0, count, 40):
        sockets = [
            socket.create_connection((host, int(port)), timeout=30)
            for _ in range(min(40, count - start))
        ]
        try:
            for sock in sockets:
                sock.sendall(request)
            answers += [_read(sock) for sock in sockets]
        finally:
            for sock in sockets:
                sock.close()
    return answers


def answered_by_two_workers(answers: list[Answer]) -> bool:
    """One worker's remaining counts in a batch are consecutive and distinct; two workers'
    repeat or leave a gap (unless by chance one's run continues the other's)."""
    values = sorted(int(a.headers["ratelimit-remaining"]) for a in answers if a.status_code == 200)
    return len(values) > 1 and (
        len(set(values)) < len(values) or values[-1] - values[0] + 1 != len(values)
    )


def warm(server: Server, headers: dict[str, str]) -> None:
    """Lookups until both workers have answered (and so cached the credential)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        responses = lookups(server, headers, 40)
        assert all(r.status_code == 200 for r in responses), responses[0].body
        if answered_by_two_workers(responses):
            return
    raise AssertionError("one worker answered every request")


def codes(responses: list[Answer]) -> Counter[tuple[int, str | None]]:
    return Counter(
        (r.status_code, r.json().get("code") if r.status_code >= 400 else None) for r in responses
    )


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    url = empty_database_url(request.param, tmp_path, request)
    upgrade(url)
    engine = create_engine(url)
    try:
        with Session(engine) as session, session.begin():
            session.add(make_citizen(personal_id=CITIZEN, full_name="Trần Minh Khôi"))
    finally:
        engine.dispose()
    return url


def test_revocation_and_policy_changes_reach_every_worker_at_once(
    database: str, tmp_path: Path
) -> None:
    settings = SERVER_SETTINGS
    with ExitStack() as stack:
        server = stack.enter_context(
            popreg_server(database, tmp_path, workers=2, settings=settings)
        )
        admin = stack.enter_context(httpx.Client(base_url=server.base, headers=ADMIN, timeout=10))
        code = f"bank-{uuid.uuid4().hex[:8]}"
        created = admin.post("/v1/admin/agencies", json=agency_spec(code))
        assert created.status_code == 201, created.text
        first = created.json()["api_key"]
        second = admin.post(f"/v1/admin/agencies/{code}/keys", json={"label": "second"}).json()
        token = httpx.post(
            f"{server.base}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(code, first["api_key"]),
        ).json()["access_token"]
        warm(server, {"X-API-Key": first["api_key"]})
        warm(server, {"Authorization": f"Bearer {token}"})

        # Revoked through the API: the key and the token issued for it, in both workers.
        revoked = admin.delete(f"/v1/admin/agencies/{code}/keys/{first['prefix']}")
        assert revoked.status_code == 204
        assert codes(lookups(server, {"X-API-Key": first["api_key"]})) == {
            (401, "INVALID_CREDENTIALS"): REQUESTS
        }
        assert codes(lookups(server, {"Authorization": f"Bearer {token}"})) == {
            (401, "INVALID_CREDENTIALS"): REQUESTS
        }
        still = lookups(server, {"X-API-Key": second["api_key"]})
        assert codes(still) == {(200, None): REQUESTS}
        assert answered_by_two_workers(still)  # both workers answered after the revocation

        # A purpose withdrawn: refused at once by both workers, which had the policy cached.
        removed = admin.delete(f"/v1/admin/agencies/{code}/purposes/{PURPOSE}")
        assert removed.status_code == 204
        assert codes(lookups(server, {"X-API-Key": second["api_key"]})) == {
            (403, "PURPOSE_NOT_ALLOWED"): REQUESTS
        }

        # Revoked from the command line, in another process altogether.
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", "agency", "revoke-key", second["prefix"]],
            env={**os.environ, "POPREG_DATABASE_URL": database},
            capture_output=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert codes(lookups(server, {"X-API-Key": second["api_key"]})) == {
            (401, "INVALID_CREDENTIALS"): REQUESTS
        }


@pytest.mark.postgres
def test_the_listener_reconnects_after_the_database_drops_it(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = empty_database_url("postgresql", tmp_path, request)
    upgrade(url)
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        session.add(make_citizen(personal_id=CITIZEN, full_name="Trần Minh Khôi"))
    database_name = engine.url.database

    def listeners() -> set[int]:
        with engine.connect() as connection:
            return set(
                connection.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity "
                        "WHERE application_name = :name AND datname = :db"
                    ),
                    {"name": LISTENER_APPLICATION_NAME, "db": database_name},
                ).scalars()
            )

    def wait_for_listeners(not_among: set[int]) -> set[int]:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = listeners()
            if len(found) == 2 and not found & not_among:
                return found
            time.sleep(0.1)
        raise AssertionError(f"listeners: {listeners()}")

    settings = SERVER_SETTINGS
    try:
        with ExitStack() as stack:
            server = stack.enter_context(popreg_server(url, tmp_path, workers=2, settings=settings))
            admin = stack.enter_context(
                httpx.Client(base_url=server.base, headers=ADMIN, timeout=10)
            )
            code = f"bank-{uuid.uuid4().hex[:8]}"
            key = admin.post("/v1/admin/agencies", json=agency_spec(code)).json()["api_key"]
            before = wait_for_listeners(set())
            with engine.connect() as connection:
                for pid in before:
                    connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            # While a worker is not listening it trusts no cached key: still served.
            assert codes(lookups(server, {"X-API-Key": key["api_key"]}, 16)) == {(200, None): 16}
            wait_for_listeners(before)
            warm(server, {"X-API-Key": key["api_key"]})
            revoked = admin.delete(f"/v1/admin/agencies/{code}/keys/{key['prefix']}")
            assert revoked.status_code == 204
            assert codes(lookups(server, {"X-API-Key": key["api_key"]})) == {
                (401, "INVALID_CREDENTIALS"): REQUESTS
            }
            assert "credential change listener lost its connection" in server.output()
    finally:
        engine.dispose()
