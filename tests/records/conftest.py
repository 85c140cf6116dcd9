"""Fresh citizens per test, the demo agencies' headers, and record bodies of each kind."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.agencies.keys import demo_api_key
from app.models import Sex
from tests.conftest import Registry
from tests.factories import make_citizen

LICENSING = ("transport-licensing-demo", "licence_issuing")
TRAFFIC_POLICE = ("traffic-police-demo", "traffic_control")
VEHICLES = ("traffic-police-demo", "vehicle_registration")
INSURANCE = ("social-insurance-demo", "insurance_records")
HOSPITAL_CHECKIN = ("honglinh-hospital", "patient_checkin")
VACCINES = ("honglinh-hospital", "immunisation_records")
TAX = ("tax-authority-demo", "taxpayer_records")
# Serials for this run's citizens (province 092, Cần Thơ): random start, so a rerun
# on a kept database differs, and apart from the life-event tests' 096.
_SERIALS = itertools.count(random.randrange(100_000, 800_000))


def headers(agency_purpose: tuple[str, str]) -> dict[str, str]:
    agency, purpose = agency_purpose
    return {"X-API-Key": demo_api_key(agency).secret, "X-Purpose": purpose}


@dataclass(frozen=True)
class Person:
    personal_id: str
    full_name: str
    birth_date: date

    def holder(self, **changes: str) -> dict[str, str]:
        return {"full_name": self.full_name, "birth_date": self.birth_date.isoformat(), **changes}


@dataclass
class People:
    """Citizens committed for one test, each with a unique, well-formed personal ID."""

    engine: Engine
    created: list[str] = field(default_factory=list)

    def add(self, **overrides: Any) -> Person:
        sex = overrides.get("sex", Sex.MALE)
        born: date = overrides.get("birth_date", date(1990, 5, 17))
        digit = (born.year // 100 - 19) * 2 + (sex is Sex.FEMALE)
        personal_id = f"092{digit}{born.year % 100:02d}{next(_SERIALS):06d}"
        values = {
            "personal_id": personal_id,
            "full_name": "Lý Thị Kim Ngân" if sex is Sex.FEMALE else "Đặng Quốc Việt",
            "sex": sex,
            "birth_date": born,
            "birth_registration_province_code": "092",
            **overrides,
        }
        with Session(self.engine) as session, session.begin():
            session.add(make_citizen(**values))
        self.created.append(personal_id)
        return Person(personal_id, values["full_name"], born)


@pytest.fixture
def people(engine: Engine, registry: Registry) -> People:
    # ``registry`` first: it creates the demo agencies whose keys these tests use.
    return People(engine)


def licence(person: Person, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "holder": person.holder(),
        "number": f"92{person.personal_id[-10:]}",
        "status": "valid",
        "valid_from": "2019-06-14",
        "valid_until": None,
        "data": {"classes": ["A1", "B"], "issued_by": "Sở GTVT TP Cần Thơ"},
    }
    body.update(changes)
    return body


def health_card(person: Person, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "holder": person.holder(),
        "number": f"DN492{person.personal_id[-10:]}",
        "valid_from": "2026-01-01",
        "valid_until": "2026-12-31",
        "data": {"registered_facility": "Bệnh viện Đa khoa TP Cần Thơ"},
    }
    body.update(changes)
    return body


def vehicle(person: Person, number: str, plate: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "holder": person.holder(),
        "number": number,
        "valid_from": "2022-03-01",
        "data": {"plate": plate, "vehicle_type": "motorbike", "make": "Honda", "model": "Vision"},
    }
    body.update(changes)
    return body
