"""Webhooks against a real receiver on loopback: signatures, retries, order, dead letters."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.events.dispatcher import WebhookDispatcher, backoff_seconds
from app.events.signing import verify_signature
from tests.events.conftest import BANK, CIVIL, Civil, People, Receiver, key, today

pytestmark = pytest.mark.anyio

Pump = Callable[[Callable[[], bool]], Awaitable[None]]


@pytest.fixture
async def dispatcher(app: FastAPI, settings: Settings) -> AsyncIterator[WebhookDispatcher]:
    fast = settings.model_copy(
        update={
            "webhook_backoff_base_seconds": 0.05,
            "webhook_backoff_max_seconds": 0.2,
            "webhook_max_attempts": 10,
            "webhook_timeout_seconds": 2.0,
        }
    )
    async with httpx.AsyncClient(timeout=2.0) as http:
        yield WebhookDispatcher(app.state.database, app.state.audit, fast, client=http)


@pytest.fixture
def pump(dispatcher: WebhookDispatcher) -> Pump:
    async def run(done: Callable[[], bool], seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while not done():
            assert time.monotonic() < deadline, "deliveries did not arrive in time"
            if not await dispatcher.run_once():
                await asyncio.sleep(0.02)

    return run


@pytest.fixture
async def subscribe(client: httpx.AsyncClient) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    made: list[tuple[str, str]] = []

    async def create(agency: str, **body: Any) -> dict[str, Any]:
        response = await client.post(
            "/v1/subscriptions", json=body, headers={"X-API-Key": key(agency)}
        )
        assert response.status_code == 201, response.text
        assert response.headers["location"] == f"/v1/subscriptions/{response.json()['id']}"
        made.append((agency, response.json()["id"]))
        created: dict[str, Any] = response.json()
        return created

    yield create
    # Other tests record events too: leave no subscription behind to receive them.
    for agency, subscription_id in made:
        await client.delete(
            f"/v1/subscriptions/{subscription_id}", headers={"X-API-Key": key(agency)}
        )


async def deliveries(
    client: httpx.AsyncClient, agency: str, subscription_id: str, **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/v1/subscriptions/{subscription_id}/deliveries",
        params=params,
        headers={"X-API-Key": key(agency)},
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["deliveries"]
    return found


async def test_a_followed_customer_death_arrives_signed_with_only_allowed_fields(
    client: httpx.AsyncClient,
    civil: Civil,
    people: People,
    receiver: Receiver,
    subscribe: Callable[..., Awaitable[Any]],
    pump: Pump,
) -> None:
    customer, stranger = people.add(), people.add()
    sub = await subscribe(
        BANK,
        url=receiver.url,
        purpose="kyc_refresh",
        event_types=["death"],
        personal_ids=[customer],
    )
    assert sub["secret"].startswith("whsec_")
    assert sub["watched_citizens"] == 1
    on_record = (
        await client.get(
            "/v1/audit/events", params={"operation": "subscribe"}, headers={"X-API-Key": key(BANK)}
        )
    ).json()["events"]
    assert sub["id"] in [r["detail"]["subscription_id"] for r in on_record]
    await civil("deaths", {"personal_id": stranger, "death_date": today()})
    await civil("deaths", {"personal_id": customer, "death_date": today()})
    await pump(lambda: len(receiver.received) >= 1)
    await asyncio.sleep(0.1)
    (delivery,) = receiver.received  # the stranger is not followed
    header = delivery.headers["X-Popreg-Signature"]
    assert verify_signature(sub["secret"], delivery.body, header)
    assert not verify_signature("whsec_wrong-secret-value", delivery.body, header)
    assert not verify_signature(sub["secret"], delivery.body + b" ", header)
    assert not verify_signature(sub["secret"], delivery.body, header, now=time.time() + 3600)
    body = orjson.loads(delivery.body)
    assert body["subscription_id"] == sub["id"]
    assert body["event"]["personal_id"] == customer
    assert body["event"]["changes"] == {"vital_status": "deceased"}
    assert delivery.headers["X-Popreg-Event-Type"] == "death"
    assert delivery.headers["X-Popreg-Event-Id"] == str(body["event"]["id"])
    (logged,) = await deliveries(client, BANK, sub["id"])
    assert logged["state"] == "delivered"
    assert [(a["number"], a["status_code"], a["outcome"]) for a in logged["attempt_log"]] == [
        (1, 200, "delivered")
    ]
    audit = (
        await client.get(
            "/v1/audit/events",
            params={"personal_id": customer, "operation": "webhook_delivery"},
            headers={"X-API-Key": key(BANK)},
        )
    ).json()["events"]
    assert [r["fields"] for r in audit] == [["personal_id", "vital_status"]]


async def test_a_receiver_that_was_down_gets_everything_once_in_order_per_citizen(
    client: httpx.AsyncClient,
    civil: Civil,
    people: People,
    receiver: Receiver,
    subscribe: Callable[..., Awaitable[Any]],
    pump: Pump,
    dispatcher: WebhookDispatcher,
) -> None:
    first, second = people.add(), people.add()
    sub = await subscribe(
        CIVIL,
        url=receiver.url,
        purpose="civil_status",
        event_types=["name_change", "residence_change"],
        personal_ids=[first, second],
    )
    receiver.stop()
    for n in range(3):
        for who in (first, second):
            response = await civil(
                "name-changes",
                {"personal_id": who, "full_name": f"Tên Mới Số {n}", "changed_on": today()},
            )
            assert response.status_code == 201
    for _ in range(5):  # a few failed rounds while the receiver is down
        await dispatcher.run_once()
        await asyncio.sleep(0.06)
    log = await deliveries(client, CIVIL, sub["id"])
    assert len(log) == 6
    assert {d["state"] for d in log} == {"pending"}
    heads = [d for d in log if d["attempts"] > 0]
    # Only the oldest delivery per citizen is tried: the others wait behind it.
    assert sorted(d["personal_id"] for d in heads) == sorted([first, second])
    assert all(a["error"] for d in heads for a in d["attempt_log"])
    receiver.start()  # same port
    await pump(lambda: len(receiver.received) >= 6)
    await asyncio.sleep(0.2)
    await dispatcher.run_once()
    events = receiver.events()
    assert len(events) == 6  # once each
    for who in (first, second):
        names = [e["changes"]["full_name"] for e in events if e["personal_id"] == who]
        assert names == ["Tên Mới Số 0", "Tên Mới Số 1", "Tên Mới Số 2"]
    log = await deliveries(client, CIVIL, sub["id"])
    assert {d["state"] for d in log} == {"delivered"}


async def test_a_delivery_is_dead_after_its_attempts_and_can_be_redelivered(
    client: httpx.AsyncClient,
    civil: Civil,
    people: People,
    receiver: Receiver,
    subscribe: Callable[..., Awaitable[Any]],
    dispatcher: WebhookDispatcher,
    pump: Pump,
) -> None:
    dispatcher.settings = dispatcher.settings.model_copy(update={"webhook_max_attempts": 2})
    someone = people.add()
    sub = await subscribe(
        BANK, url=receiver.url, purpose="kyc_refresh", event_types=["death"], personal_ids=[someone]
    )
    receiver.status = 503
    await civil("deaths", {"personal_id": someone, "death_date": today()})

    async def dead() -> bool:
        return bool(await deliveries(client, BANK, sub["id"], state="dead"))

    deadline = time.monotonic() + 10
    while not await dead():
        assert time.monotonic() < deadline
        await dispatcher.run_once()
        await asyncio.sleep(0.05)
    (gone,) = await deliveries(client, BANK, sub["id"], state="dead")
    assert [(a["status_code"], a["outcome"]) for a in gone["attempt_log"]] == [
        (503, "retry"),
        (503, "dead"),
    ]
    receiver.status = 200
    again = await client.post(
        f"/v1/subscriptions/{sub['id']}/deliveries/{gone['id']}/redeliver",
        headers={"X-API-Key": key(BANK)},
    )
    assert again.status_code == 202, again.text
    assert (again.json()["state"], again.json()["last_status"]) == ("pending", None)
    await pump(lambda: len(receiver.received) == 1)
    await asyncio.sleep(0.1)
    (done,) = await deliveries(client, BANK, sub["id"])
    assert [(a["number"], a["status_code"]) for a in done["attempt_log"]] == [
        (1, 503),
        (2, 503),
        (3, 200),
    ]
    missing = await client.post(
        f"/v1/subscriptions/{sub['id']}/deliveries/999999999/redeliver",
        headers={"X-API-Key": key(BANK)},
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "DELIVERY_NOT_FOUND")


async def test_deleting_a_subscription_cancels_what_it_had_not_delivered(
    client: httpx.AsyncClient,
    civil: Civil,
    people: People,
    receiver: Receiver,
    subscribe: Callable[..., Awaitable[Any]],
    dispatcher: WebhookDispatcher,
) -> None:
    someone = people.add()
    sub = await subscribe(
        BANK, url=receiver.url, purpose="kyc_refresh", event_types=["death"], personal_ids=[someone]
    )
    receiver.stop()
    await civil("deaths", {"personal_id": someone, "death_date": today()})
    gone = await client.delete(f"/v1/subscriptions/{sub['id']}", headers={"X-API-Key": key(BANK)})
    assert gone.status_code == 204
    receiver.start()
    for _ in range(3):
        await dispatcher.run_once()
    assert receiver.received == []
    after = await client.get(f"/v1/subscriptions/{sub['id']}", headers={"X-API-Key": key(BANK)})
    assert (after.status_code, after.json()["code"]) == (404, "SUBSCRIPTION_NOT_FOUND")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"url": "ftp://bank.example/hook"}, 422, "INVALID_WEBHOOK_URL"),
        ({"url": "https://user:pw@bank.example/hook"}, 422, "INVALID_WEBHOOK_URL"),
        ({"url": "not a url at all"}, 422, "INVALID_WEBHOOK_URL"),
        ({"event_types": ["residence_change"]}, 403, "EVENT_TYPE_NOT_ALLOWED"),
        ({"event_types": ["funeral"]}, 422, "VALIDATION_FAILED"),
        ({"event_types": []}, 422, "VALIDATION_FAILED"),
        ({"purpose": "kyc_onboarding"}, 403, "OPERATION_NOT_ALLOWED"),
        ({"purpose": "mystery"}, 403, "PURPOSE_NOT_ALLOWED"),
        ({"personal_ids": ["096190999998"]}, 422, "UNKNOWN_CITIZENS"),
        ({"secret": "short"}, 422, "VALIDATION_FAILED"),
        ({"colour": "blue"}, 422, "VALIDATION_FAILED"),
    ],
)
async def test_a_bad_subscription_is_refused_clearly(
    client: httpx.AsyncClient, people: People, body: dict[str, Any], status: int, code: str
) -> None:
    valid = {"url": "https://bank.example/hook", "purpose": "kyc_refresh", "event_types": ["death"]}
    response = await client.post(
        "/v1/subscriptions", json={**valid, **body}, headers={"X-API-Key": key(BANK)}
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def test_another_agency_cannot_see_or_delete_a_subscription(
    client: httpx.AsyncClient, people: People, subscribe: Callable[..., Awaitable[Any]]
) -> None:
    sub = await subscribe(
        BANK, url="https://bank.example/hook", purpose="kyc_refresh", event_types=["death"]
    )
    other = {"X-API-Key": key(CIVIL)}
    for method, path in [
        ("GET", f"/v1/subscriptions/{sub['id']}"),
        ("DELETE", f"/v1/subscriptions/{sub['id']}"),
        ("GET", f"/v1/subscriptions/{sub['id']}/deliveries"),
    ]:
        response = await client.request(method, path, headers=other)
        assert (response.status_code, response.json()["code"]) == (404, "SUBSCRIPTION_NOT_FOUND")
    listed = (await client.get("/v1/subscriptions", headers=other)).json()["subscriptions"]
    assert sub["id"] not in [s["id"] for s in listed]
    mine = (await client.get("/v1/subscriptions", headers={"X-API-Key": key(BANK)})).json()
    assert sub["id"] in [s["id"] for s in mine["subscriptions"]]
    assert all("secret" not in s for s in mine["subscriptions"])


def test_backoff_doubles_with_jitter_and_a_cap() -> None:
    import random

    rng = random.Random(7)
    waits = [backoff_seconds(n, 2.0, 3600.0, rng) for n in range(1, 15)]
    for n, wait in enumerate(waits, start=1):
        ceiling = min(3600.0, 2.0 * 2 ** (n - 1))
        assert ceiling / 2 <= wait <= ceiling
    assert len({round(w, 6) for w in waits}) == len(waits)  # jittered, not a fixed schedule


async def test_two_dispatchers_on_postgresql_never_send_one_delivery_twice(
    client: httpx.AsyncClient,
    civil: Civil,
    people: People,
    receiver: Receiver,
    subscribe: Callable[..., Awaitable[Any]],
    settings: Settings,
    app: FastAPI,
) -> None:
    if app.state.database.dialect != "postgresql":
        pytest.skip("SQLite claims under its single write lock")
    from app.db import Database

    folks = [people.add() for _ in range(12)]
    await subscribe(
        BANK, url=receiver.url, purpose="kyc_refresh", event_types=["death"], personal_ids=folks
    )
    for someone in folks:
        await civil("deaths", {"personal_id": someone, "death_date": today()})
    databases = [Database(settings), Database(settings)]
    try:
        async with httpx.AsyncClient() as http:
            senders = [
                WebhookDispatcher(db, app.state.audit, settings, client=http) for db in databases
            ]
            deadline = time.monotonic() + 15
            while len(receiver.received) < len(folks):
                assert time.monotonic() < deadline
                await asyncio.gather(*(s.run_once() for s in senders))
    finally:
        for db in databases:
            db.dispose()
    ids = [e["personal_id"] for e in receiver.events()]
    assert sorted(ids) == sorted(folks)


async def test_the_running_dispatcher_records_every_outcome_exactly_once(
    client: httpx.AsyncClient,
    civil: Civil,
    people: People,
    receiver: Receiver,
    subscribe: Callable[..., Awaitable[Any]],
    dispatcher: WebhookDispatcher,
) -> None:
    folks = [people.add() for _ in range(40)]
    sub = await subscribe(
        BANK, url=receiver.url, purpose="kyc_refresh", event_types=["death"], personal_ids=folks
    )
    dispatcher.start()
    try:
        for someone in folks:
            await civil("deaths", {"personal_id": someone, "death_date": today()})
            dispatcher.wake()
        deadline = time.monotonic() + 15
        while True:
            log = await deliveries(client, BANK, sub["id"], limit=100)
            if len(log) == len(folks) and all(d["state"] == "delivered" for d in log):
                break
            assert time.monotonic() < deadline, [d["state"] for d in log]
            await asyncio.sleep(0.1)
    finally:
        await dispatcher.stop()
    assert sorted(e["personal_id"] for e in receiver.events()) == sorted(folks)
    assert {(d["attempts"], len(d["attempt_log"])) for d in log} == {(1, 1)}
