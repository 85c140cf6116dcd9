"""What each kind of organisation holds about its customers, as output columns."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from seed.datasets.faults import Subject


class DatasetSector(StrEnum):
    TELECOM = "telecom"
    BANK = "bank"
    SOCIAL_INSURANCE = "social_insurance"
    HOSPITAL = "hospital"


def _birth_date(subject: Subject) -> str:
    if subject.birth_year_only:
        return str(subject.birth_date.year)
    return subject.birth_date.isoformat()


def _since(rng: random.Random, start: date, end: date) -> str:
    return (start + timedelta(days=rng.randrange((end - start).days))).isoformat()


def _telecom(row: int, subject: Subject, rng: random.Random) -> dict[str, Any]:
    return {
        "subscriber_id": f"SUB{row:08d}",
        "msisdn": subject.phone,
        "full_name": subject.full_name,
        "birth_date": _birth_date(subject),
        "id_number": subject.id_number,
        "id_type": "CMND" if len(subject.id_number) == 9 else "CCCD",
        "activated_on": _since(rng, date(2012, 1, 1), date(2026, 10, 1)),
        "status": "active",
    }


def _bank(row: int, subject: Subject, rng: random.Random) -> dict[str, Any]:
    return {
        "cif": f"CIF{rng.randrange(10**9):09d}",
        "full_name": subject.full_name,
        "birth_date": _birth_date(subject),
        "sex": "Nam" if subject.sex == "male" else "Nữ",
        "id_number": subject.id_number,
        "phone": subject.phone,
        "address": subject.address,
        "account_status": "active",
    }


def _social_insurance(row: int, subject: Subject, rng: random.Random) -> dict[str, Any]:
    return {
        "record_id": f"BHXH{row:08d}",
        "full_name": subject.full_name,
        "birth_date": _birth_date(subject),
        "sex": "Nam" if subject.sex == "male" else "Nữ",
        "id_number": subject.id_number,
        "health_insurance_card": subject.health_insurance_card,
        "address": subject.address,
    }


def _hospital(row: int, subject: Subject, rng: random.Random) -> dict[str, Any]:
    return {
        "patient_id": f"BN{rng.randrange(10**8):08d}",
        "full_name": subject.full_name,
        "birth_date": _birth_date(subject),
        "sex": "Nam" if subject.sex == "male" else "Nữ",
        "id_number": subject.id_number,
        "health_insurance_card": subject.health_insurance_card,
        "phone": subject.phone,
        "last_visit": _since(rng, date(2024, 1, 1), date(2026, 10, 31)),
    }


RECORD_BUILDERS: dict[DatasetSector, Callable[[int, Subject, random.Random], dict[str, Any]]] = {
    DatasetSector.TELECOM: _telecom,
    DatasetSector.BANK: _bank,
    DatasetSector.SOCIAL_INSURANCE: _social_insurance,
    DatasetSector.HOSPITAL: _hospital,
}
# Subject faults that make sense for a sector: a hospital or a pension fund does not
# hold a subscriber's phone, and "still active" only applies to active accounts.
SUBJECT_FAULTS_BY_SECTOR: dict[DatasetSector, tuple[str, ...]] = {
    DatasetSector.TELECOM: ("deceased_still_active", "phone_reassigned", "not_in_registry"),
    DatasetSector.BANK: ("deceased_still_active", "phone_reassigned", "not_in_registry"),
    DatasetSector.SOCIAL_INSURANCE: ("deceased_still_active", "not_in_registry"),
    DatasetSector.HOSPITAL: ("not_in_registry",),
}
