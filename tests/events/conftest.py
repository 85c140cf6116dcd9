"""Helpers for life-event tests: fresh citizens per test, civil calls, a real webhook receiver."""

from __future__ import annotations

import http.server
import itertools
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.agencies.keys import demo_api_key
from app.models import Household, MaritalStatus, Sex
from app.models.base import utcnow
from tests.factories import make_citizen, marry

CIVIL = "civil-registry-demo"
BANK = "phusa-bank"
CIVIL_HEADERS = {"X-Purpose": "civil_status"}
# Serials for this test run's citizens: random start, so a rerun on a kept database differs.
_SERIALS = itertools.count(random.randrange(100_000, 800_000))


def key(agency: str) -> str:
    return demo_api_key(agency).secret


@dataclass
class People:
    """Creates citizens committed for one test; each has a unique, well-formed personal ID."""

    engine: Engine
    created: list[str] = field(default_factory=list)

    def add(self, **overrides: Any) -> str:
        sex = overrides.get("sex", Sex.MALE)
        born: date = overrides.get("birth_date", date(1990, 5, 17))
        digit = (born.year // 100 - 19) * 2 + (sex is Sex.FEMALE)
        personal_id = f"096{digit}{born.year % 100:02d}{next(_SERIALS):06d}"
        with Session(self.engine) as session, session.begin():
            household = Household(
                household_number=personal_id,
                address="Số 3 đường Trần Phú, Phường 5, Thành phố Cà Mau, Tỉnh Cà Mau",
            )
            session.add(household)
            session.flush()
            values = {
                "personal_id": personal_id,
                "sex": sex,
                "birth_date": born,
                "household_id": household.id,
                "relationship_to_head": "Chủ hộ",
                "birth_registration_province_code": "096",
                **overrides,
            }
            session.add(make_citizen(**values))
        self.created.append(personal_id)
        return personal_id

    def couple(self, married: bool = True) -> tuple[str, str]:
        status = MaritalStatus.MARRIED if married else MaritalStatus.SINGLE
        husband = self.add(sex=Sex.MALE, birth_date=date(1988, 1, 2), marital_status=status)
        wife = self.add(sex=Sex.FEMALE, birth_date=date(1990, 3, 4), marital_status=status)
        if married:
            marry(self.engine, husband, wife)
        return husband, wife


@pytest.fixture
def people(engine: Engine, registry: Any) -> People:
    # ``registry`` first: it creates the demo agencies whose keys these tests use.
    return People(engine)


Civil = Callable[..., Any]


@pytest.fixture
def civil(client: httpx.AsyncClient) -> Civil:
    async def call(
        path: str,
        body: dict[str, Any],
        *,
        headers: dict[str, str] | None = None,
        agency: str = CIVIL,
    ) -> httpx.Response:
        return await client.post(
            f"/v1/civil/{path}",
            json=body,
            headers={"X-API-Key": key(agency), **CIVIL_HEADERS, **(headers or {})},
        )

    return call


def today() -> str:
    return utcnow().date().isoformat()


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A real HTTP server on loopback that records webhook deliveries; can go down and up."""

    def __init__(self) -> None:
        self.received: list[Delivery] = []
        self.status = 200
        self._server: http.server.ThreadingHTTPServer | None = None
        self.port = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/popreg"

    def start(self) -> None:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.status
                if status < 300:
                    with receiver.lock:
                        receiver.received.append(Delivery(dict(self.headers.items()), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Down: connections are refused until ``start`` (same port)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [orjson.loads(d.body)["event"] for d in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()
