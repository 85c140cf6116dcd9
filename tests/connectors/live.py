"""The app in-process for connector runs: a town of citizens of their own, and a cleaning worker.

Connectors draw their customers from ``GET /v1/sandbox/citizens/sample``; in the
tests every draw is confined to one province (``PROVINCE``) that only this
town's citizens are registered in, so a connector that changes citizens (the
civil registry records deaths) never touches the shared ``registry`` rows or
another test's citizens. The town is committed once per database and kept for
the session (tests may add to it, e.g. a death, but only to citizens they made).

The app runs without its lifespan (as every in-process test does), so no
background worker processes cleaning jobs: ``serving`` starts one, as the
server's lifespan would.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.cleaning.worker import CleaningWorker
from app.config import Settings
from app.main import create_app
from app.models import Household, Sex
from connectors import Connector
from tests.factories import make_citizen, marry

PROVINCE = "095"  # Bạc Liêu: no other test registers citizens there
ADMIN = {"Authorization": "Bearer sandbox-admin-token"}
ADDRESS = "Số 5 đường Trần Phú, Phường 3, Thành phố Bạc Liêu, Tỉnh Bạc Liêu"
HUSBANDS = ("Lâm Văn Tài", "Trương Minh Hiếu", "Huỳnh Quốc Việt", "Tô Thanh Bình")
WIVES = ("Lý Thị Hồng", "Quách Ngọc Trâm", "Châu Thị Mỹ Linh", "Diệp Thị Thu")
ELDERS = ("Lâm Văn Sáu", "Trần Thị Bảy", "Huỳnh Văn Tư", "Nguyễn Thị Năm")
# Serials from a random start: a database kept from an earlier run gets new IDs.
_SERIALS = itertools.count(random.randrange(100_000, 800_000))


@dataclass
class Town:
    """Citizens of PROVINCE, committed; each kind by personal ID."""

    engine: Engine
    couples: list[tuple[str, str]] = field(default_factory=list)  # husband, wife
    singles: list[str] = field(default_factory=list)
    elderly: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)
    legacy_ids: dict[str, str] = field(default_factory=dict)  # personal ID → CMND
    # As the sandbox sample gives them: what a connector knows of its customers.
    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, sex: Sex, born: date, **overrides: Any) -> str:
        digit = (born.year // 100 - 19) * 2 + (sex is Sex.FEMALE)
        serial = next(_SERIALS)
        personal_id = f"{PROVINCE}{digit}{born.year % 100:02d}{serial:06d}"
        legacy_id = f"38{serial:07d}"
        with Session(self.engine) as session, session.begin():
            household = Household(household_number=personal_id, address=ADDRESS)
            session.add(household)
            session.flush()
            values: dict[str, Any] = {
                "personal_id": personal_id,
                "full_name": "Lâm Văn Tài",
                "sex": sex,
                "birth_date": born,
                "birth_registration_province_code": PROVINCE,
                "place_of_birth": "Bệnh viện Đa khoa tỉnh Bạc Liêu",
                "permanent_address": ADDRESS,
                "household_id": household.id,
                "relationship_to_head": "Chủ hộ",
                "legacy_id": legacy_id,
                "phone": f"09{serial:08d}",
                "health_insurance_card": f"GD4{serial:012d}",
                "social_insurance_number": f"95{serial:08d}",
                "blood_type": "A",
                **overrides,
            }
            session.add(make_citizen(**values))
        self.legacy_ids[personal_id] = legacy_id
        self.records[personal_id] = {
            "personal_id": personal_id,
            "full_name": values["full_name"],
            "sex": sex.value,
            "birth_date": born.isoformat(),
            "marital_status": "single",
            "spouse_personal_id": None,
            "spouse_full_name": None,
        }
        return personal_id

    def marry(self, husband: str, wife: str) -> None:
        marry(self.engine, husband, wife)
        for one, other in ((husband, wife), (wife, husband)):
            self.records[one].update(
                marital_status="married",
                spouse_personal_id=other,
                spouse_full_name=self.records[other]["full_name"],
            )


def build_town(engine: Engine) -> Town:
    town = Town(engine)
    this_year = datetime.now(UTC).year
    for n in range(10):
        husband = town.add(
            Sex.MALE, date(this_year - 33 - n % 6, 1 + n, 10), full_name=HUSBANDS[n % 4]
        )
        wife = town.add(Sex.FEMALE, date(this_year - 27 - n % 8, 1 + n, 14), full_name=WIVES[n % 4])
        town.marry(husband, wife)
        town.couples.append((husband, wife))
    for n in range(4):
        town.singles.append(
            town.add(Sex.FEMALE, date(this_year - 22 - 4 * n, 3, 3 + n), full_name=WIVES[n])
        )
        town.singles.append(
            town.add(Sex.MALE, date(this_year - 24 - 5 * n, 5, 7 + n), full_name=HUSBANDS[n])
        )
    for n in range(24):
        sex = Sex.MALE if n % 2 == 0 else Sex.FEMALE
        town.elderly.append(
            town.add(sex, date(this_year - 72 - n, 1 + n % 12, 20), full_name=ELDERS[n % 4])
        )
    for n in range(0, 8, 2):  # a few old couples: a death widows the survivor
        town.marry(town.elderly[n], town.elderly[n + 1])
    town.dead.append(
        town.add(Sex.MALE, date(this_year - 60, 6, 1), death_date=date(this_year - 1, 2, 2))
    )
    return town


_towns: dict[str, Town] = {}


def town_for(engine: Engine) -> Town:
    """The session's town in this database (built on first use)."""
    key = engine.url.render_as_string(hide_password=True)
    if key not in _towns:
        _towns[key] = build_town(engine)
    return _towns[key]


def confined(connector_class: type[Connector]) -> type[Connector]:
    """The connector, drawing its customers from the town only."""
    filters = {**connector_class.sample_filters, "province": PROVINCE}
    return type(connector_class.__name__, (connector_class,), {"sample_filters": filters})


@dataclass
class Live:
    app: FastAPI
    http: httpx.AsyncClient

    async def audit(self, **params: str) -> list[dict[str, Any]]:
        response = await self.http.get("/v1/audit/events", params=params, headers=ADMIN)
        assert response.status_code == 200, response.text
        events: list[dict[str, Any]] = response.json()["events"]
        return events


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Live]:
    """The app with committed writes and one cleaning worker thread, as a server runs it."""
    application = create_app(settings)
    worker = CleaningWorker(application.state.database, idle_seconds=0.02, name="test-cleaning")
    worker.start()
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as http:
            yield Live(application, http)
    finally:
        worker.stop()
        application.state.database.dispose()
