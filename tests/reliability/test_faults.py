"""kill -9 in the middle of concurrent writes: nothing that was acknowledged is lost.

Real servers (two on PostgreSQL, one on SQLite) take audited lookups, consents,
life events (with a webhook subscription) and cleaning uploads from several
threads at once; every server is killed with SIGKILL mid-stream, and new ones
started. Everything a client got a 2xx for must be there afterwards: the audit
record of each lookup, each consent, each life event and its outbox delivery
(and then the delivery itself), each job (and then its results); the audit
chain verifies, its sequence numbers neither repeat nor skip.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from itertools import count, cycle
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, bindparam, text

from app.audit.service import verify_chain
from tests.conftest import Registry
from tests.events.conftest import CIVIL, People, key, today
from tests.reliability.receiver import SigningReceiver
from tests.reliability.servers import free_port, serve, stop, wait_ready

JOB_ROWS = 40
# Acknowledged writes of each kind to wait for before the kill: the kill lands mid-stream.
BEFORE_KILL = {"lookup": 30, "consent": 5, "event": 5, "job": 2}

Acks = dict[str, list[Any]]


class Writers:
    """Threads that write through the servers until told to stop, recording each 2xx."""

    def __init__(self, bases: list[str], registry: Registry, people: list[str]) -> None:
        self.bases = bases
        self.registry = registry
        self.people = people
        self.acks: Acks = defaultdict(list)
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.tokens: dict[str, str] = {}
        self.numbers = count(1)

    def start(self) -> None:
        with httpx.Client(base_url=self.bases[0], timeout=10) as client:
            for person in self.people:
                login = client.post(
                    "/v1/citizen/login", json={"personal_id": person, "code": "123456"}
                )
                assert login.status_code == 200, login.text
                self.tokens[person] = login.json()["access_token"]
        loops = [self.lookups] * 4 + [self.consents] * 2 + [self.events] * 2 + [self.jobs]
        for n, loop in enumerate(loops):
            thread = threading.Thread(target=self._run, args=(loop, n), daemon=True)
            self.threads.append(thread)
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def _run(self, loop: Callable[[httpx.Client], None], n: int) -> None:
        clients = [httpx.Client(base_url=base, timeout=10) for base in self.bases]
        try:
            for client in cycle(clients[n % len(clients) :] + clients[: n % len(clients)]):
                if self.stopping.is_set():
                    return
                try:
                    loop(client)
                except httpx.TransportError:
                    time.sleep(0.01)  # killed or not back yet: not acknowledged
        finally:
            for client in clients:
                client.close()

    def lookups(self, client: httpx.Client) -> None:
        headers = {"X-API-Key": self.registry.keys["phusa-bank"], "X-Purpose": "kyc_onboarding"}
        response = client.get(f"/v1/citizens/{self.registry.head}", headers=headers)
        if response.status_code == 200:
            self.acks["lookup"].append(response.headers["x-request-id"])

    def consents(self, client: httpx.Client) -> None:
        person = self.people[next(self.numbers) % len(self.people)]
        response = client.post(
            "/v1/me/consents",
            json={"agency": "phusa-bank", "purpose": "contact_update", "days": 30},
            headers={"Authorization": f"Bearer {self.tokens[person]}"},
        )
        if response.status_code == 201:
            self.acks["consent"].append((person, response.json()["id"]))

    def events(self, client: httpx.Client) -> None:
        n = next(self.numbers)
        response = client.post(
            "/v1/civil/name-changes",
            json={
                "personal_id": self.people[n % len(self.people)],
                "full_name": f"Nguyễn Văn Đổi {n}",
                "changed_on": today(),
            },
            headers={"X-API-Key": key(CIVIL), "X-Purpose": "civil_status"},
        )
        if response.status_code == 201:
            self.acks["event"].extend(event["id"] for event in response.json()["events"])

    def jobs(self, client: httpx.Client) -> None:
        ids = [self.registry.head, self.registry.unknown, self.registry.spouse, "12ab"]
        body = "id_number\n" + "".join(f"{ids[i % len(ids)]}\n" for i in range(JOB_ROWS))
        response = client.post(
            "/v1/cleaning/jobs",
            params={"sector": "telecom"},
            content=body.encode(),
            headers={
                "X-API-Key": self.registry.keys["saomai-telecom"],
                "X-Purpose": "subscriber_verification",
                "Content-Type": "text/csv",
            },
        )
        if response.status_code == 202:
            self.acks["job"].append(response.json()["id"])

    def enough(self) -> bool:
        return all(len(self.acks[kind]) >= n for kind, n in BEFORE_KILL.items())


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def present(engine: Engine, sql: str, values: list[Any], **params: Any) -> set[Any]:
    """The ``values`` that ``sql`` (selecting one column ``IN :values``) finds."""
    statement = text(sql).bindparams(bindparam("values", expanding=True))
    with engine.connect() as connection:
        return set(connection.execute(statement, {"values": values, **params}).scalars())


@pytest.fixture
def servers(
    database_url: str, tmp_path: Path
) -> Iterator[tuple[list[int], Callable[[], list[Any]]]]:
    """Ports of the servers to run (2 on PostgreSQL, 1 on SQLite) and a function starting them."""
    ports = [free_port() for _ in range(2 if database_url.startswith("postgresql") else 1)]
    started: list[Any] = []

    def start() -> list[Any]:
        batch = [serve(database_url, port, tmp_path / f"server-{port}.log") for port in ports]
        started.extend(batch)
        for port, server in zip(ports, batch, strict=True):
            wait_ready(f"http://127.0.0.1:{port}", server)
        return batch

    yield ports, start
    for server in started:
        if server.poll() is None:
            stop(server)


def test_kill_9_during_writes_loses_nothing_acknowledged(
    database_url: str,
    registry: Registry,
    engine: Engine,
    servers: tuple[list[int], Callable[[], list[Any]]],
) -> None:
    ports, start = servers
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    people = [People(engine).add() for _ in range(6)]
    receiver = SigningReceiver()
    try:
        running = start()
        subscribed = httpx.post(
            f"{bases[0]}/v1/subscriptions",
            headers={"X-API-Key": key(CIVIL)},
            json={"url": receiver.url, "purpose": "civil_status", "event_types": ["name_change"]},
        )
        assert subscribed.status_code == 201, subscribed.text
        subscription = subscribed.json()["id"]
        receiver.secret = subscribed.json()["secret"]

        writers = Writers(bases, registry, people)
        writers.start()
        assert wait_for(writers.enough, 60), {k: len(v) for k, v in writers.acks.items()}
        for server in running:
            server.send_signal(signal.SIGKILL)
        for server in running:
            server.wait()
        writers.stop()
        acks = writers.acks

        start()  # new processes on the same database
        lookups = acks["lookup"]
        audited = present(
            engine,
            "SELECT request_id FROM audit_event WHERE outcome = 'disclosed' "
            "AND operation = 'lookup' AND request_id IN :values",
            lookups,
        )
        assert set(lookups) <= audited

        for person, consent in acks["consent"]:
            found = present(
                engine,
                "SELECT id FROM consent WHERE personal_id = :person AND id IN :values",
                [consent],
                person=person,
            )
            assert found == {consent}

        events = acks["event"]
        assert present(engine, "SELECT seq FROM life_event WHERE seq IN :values", events) == set(
            events
        )
        queued = present(
            engine,
            "SELECT event_seq FROM webhook_delivery WHERE subscription_id = :sub "
            "AND event_seq IN :values",
            events,
            sub=subscription,
        )
        assert queued == set(events)  # each event was committed with its outbox delivery
        assert wait_for(lambda: set(events) <= receiver.events()), "undelivered"

        jobs = acks["job"]
        assert present(engine, "SELECT id FROM cleaning_job WHERE id IN :values", jobs) == set(jobs)
        telecom = {"X-API-Key": registry.keys["saomai-telecom"]}

        def all_done() -> bool:
            states = [
                httpx.get(f"{bases[0]}/v1/cleaning/jobs/{job}", headers=telecom).json()
                for job in jobs
            ]
            return all(s["state"] == "done" and s["rows_processed"] == JOB_ROWS for s in states)

        assert wait_for(all_done, 90)
    finally:
        receiver.stop()

    report = verify_chain(engine)
    assert report.intact, report.broken
    with engine.connect() as connection:
        repeated = connection.execute(
            text("SELECT seq FROM audit_event GROUP BY seq HAVING count(*) > 1")
        ).all()
        records, newest = connection.execute(
            text("SELECT count(*), max(seq) FROM audit_event")
        ).one()
        head = connection.execute(text("SELECT seq FROM audit_head WHERE id = 1")).scalar_one()
    assert repeated == []
    assert records == newest == head  # 1 … head, each once
