"""A server killed with -9 in the middle of retries: nothing lost, nothing acknowledged twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import Engine

from tests.audit.test_processes import free_port
from tests.cleaning.test_durability import serve as cleaning_serve
from tests.cleaning.test_durability import wait_ready
from tests.events.conftest import BANK, CIVIL, CIVIL_HEADERS, People, Receiver, key, today


def serve(database_url: str, port: int) -> subprocess.Popen[bytes]:
    return cleaning_serve(
        database_url,
        port,
        {
            "POPREG_WEBHOOK_BACKOFF_BASE_SECONDS": "0.5",
            "POPREG_WEBHOOK_BACKOFF_MAX_SECONDS": "1",
            "POPREG_WEBHOOK_TIMEOUT_SECONDS": "1",
            "POPREG_WEBHOOK_POLL_SECONDS": "0.2",
        },
    )


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_kill_9_mid_backoff_then_restart_delivers_the_rest_once(
    database_url: str, engine: Engine, registry: object
) -> None:
    people = People(engine)
    customer, other = people.add(), people.add()
    receiver = Receiver()
    receiver.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    bank = {"X-API-Key": key(BANK)}
    civil = {"X-API-Key": key(CIVIL), **CIVIL_HEADERS}
    server = serve(database_url, port)
    subscription = None
    try:
        wait_ready(base)
        created = httpx.post(
            f"{base}/v1/subscriptions",
            headers=bank,
            json={
                "url": receiver.url,
                "purpose": "kyc_refresh",
                "event_types": ["death", "name_change"],
                "personal_ids": [customer, other],
            },
        )
        assert created.status_code == 201, created.text
        subscription = created.json()["id"]
        # A bank following deaths hears of its customer's within seconds.
        recorded = time.monotonic()
        death = httpx.post(
            f"{base}/v1/civil/deaths",
            headers=civil,
            json={"personal_id": customer, "death_date": today()},
        )
        assert death.status_code == 201, death.text
        wait_for(lambda: len(receiver.received) == 1, 5, "the death was not delivered")
        assert time.monotonic() - recorded < 3

        receiver.stop()
        for n in range(3):
            renamed = httpx.post(
                f"{base}/v1/civil/name-changes",
                headers=civil,
                json={"personal_id": other, "full_name": f"Tên Số {n}", "changed_on": today()},
            )
            assert renamed.status_code == 201, renamed.text
        log_url = f"{base}/v1/subscriptions/{subscription}/deliveries"

        def retrying() -> bool:
            log = httpx.get(log_url, headers=bank).json()["deliveries"]
            return any(d["state"] == "pending" and d["attempts"] >= 1 for d in log)

        wait_for(retrying, 10, "no failed attempt before the kill")
        server.send_signal(signal.SIGKILL)  # mid-backoff
        server.wait()
    finally:
        server.kill()
        server.wait()

    receiver.start()
    server = serve(database_url, port)
    try:
        wait_ready(base)
        wait_for(lambda: len(receiver.received) >= 4, 30, "deliveries lost across the restart")
        time.sleep(1.5)  # anything delivered twice would arrive now
        events = receiver.events()
        log = httpx.get(f"{base}/v1/subscriptions/{subscription}/deliveries", headers=bank).json()
        httpx.delete(f"{base}/v1/subscriptions/{subscription}", headers=bank)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
        receiver.stop()
    assert len(events) == 4, events  # the acknowledged death was not sent again
    assert [e["type"] for e in events].count("death") == 1
    names = [e["changes"]["full_name"] for e in events if e["personal_id"] == other]
    assert names == ["Tên Số 0", "Tên Số 1", "Tên Số 2"]
    assert {d["state"] for d in log["deliveries"]} == {"delivered"}


@pytest.mark.anyio
async def test_a_popreg_worker_process_sends_the_webhooks(
    database_url: str, client: httpx.AsyncClient, people: People, receiver: Receiver
) -> None:
    someone = people.add()
    bank = {"X-API-Key": key(BANK)}
    created = await client.post(
        "/v1/subscriptions",
        headers=bank,
        json={
            "url": receiver.url,
            "purpose": "kyc_refresh",
            "event_types": ["death"],
            "personal_ids": [someone],
        },
    )
    assert created.status_code == 201, created.text
    worker = subprocess.Popen(  # noqa: ASYNC220 - a process that outlives the test's awaits
        [sys.executable, "-m", "app.cli", "worker"],
        env={
            **os.environ,
            "POPREG_DATABASE_URL": database_url,
            "POPREG_WEBHOOK_POLL_SECONDS": "0.2",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        response = await client.post(
            "/v1/civil/deaths",
            headers={"X-API-Key": key(CIVIL), **CIVIL_HEADERS},
            json={"personal_id": someone, "death_date": today()},
        )
        assert response.status_code == 201
        deadline = time.monotonic() + 20
        while not receiver.received:
            assert time.monotonic() < deadline, "the worker sent nothing"
            await asyncio.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0
        await client.delete(f"/v1/subscriptions/{created.json()['id']}", headers=bank)
    assert [e["personal_id"] for e in receiver.events()] == [someone]
