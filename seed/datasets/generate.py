"""Dirty agency-side datasets over a seeded registry, with an answer key per row."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, Row, func, select

from app.models import Citizen
from seed.datasets.faults import (
    DECEASED_STILL_ACTIVE,
    FAULT_FIELD,
    FIELD_FAULTS,
    NOT_IN_REGISTRY,
    PHONE_REASSIGNED,
    Subject,
)
from seed.datasets.sectors import RECORD_BUILDERS, SUBJECT_FAULTS_BY_SECTOR, DatasetSector
from seed.dates import REFERENCE_DATE
from seed.names import join_name

REFERENCE_DAY = date.fromisoformat(str(REFERENCE_DATE))
_COLUMNS = (
    Citizen.id,
    Citizen.personal_id,
    Citizen.full_name,
    Citizen.birth_date,
    Citizen.birth_date_precision,
    Citizen.sex,
    Citizen.legacy_id,
    Citizen.phone,
    Citizen.permanent_address,
    Citizen.health_insurance_card,
    Citizen.death_date,
)
# Names for people the registry has never heard of.
_STRANGER_SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Võ", "Đặng", "Bùi")
_STRANGER_MIDDLE = ("Văn", "Thị", "Minh", "Ngọc", "Đức")
_STRANGER_GIVEN = ("Quân", "Trâm", "Khải", "Diệp", "Hưng", "Lam", "Phong")


@dataclass(frozen=True, slots=True)
class DatasetReport:
    rows: int
    faulty_rows: int
    faults: dict[str, int]


def _subject(row: Row[Any]) -> Subject:
    return Subject(
        personal_id=row.personal_id,
        full_name=row.full_name,
        birth_date=row.birth_date,
        birth_year_only=str(row.birth_date_precision) == "year",
        sex=str(row.sex),
        id_number=row.personal_id,
        legacy_id=row.legacy_id,
        phone=row.phone,
        address=row.permanent_address,
        health_insurance_card=row.health_insurance_card,
        deceased=row.death_date is not None,
    )


class _Registry:
    """Random access to citizens by id (ids of a seeded registry are 1…n)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        with engine.connect() as connection:
            self.size = int(connection.execute(select(func.max(Citizen.id))).scalar_one() or 0)
            self.deceased = list(
                connection.execute(
                    select(Citizen.id).where(Citizen.death_date.is_not(None)).order_by(Citizen.id)
                ).scalars()
            )
        if self.size == 0:
            raise ValueError("the registry is empty: run `popreg seed` first")

    def fetch(self, ids: list[int]) -> dict[int, Row[Any]]:
        rows: dict[int, Any] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(ids), 1000):
                chunk = ids[start : start + 1000]
                for row in connection.execute(select(*_COLUMNS).where(Citizen.id.in_(chunk))):
                    rows[row.id] = row
        return rows

    def exists(self, personal_id: str) -> bool:
        with self.engine.connect() as connection:
            found = connection.execute(select(Citizen.id).where(Citizen.personal_id == personal_id))
            return found.first() is not None


def _stranger(rng: random.Random, registry: _Registry) -> Subject:
    while True:
        year = rng.randrange(1950, 2008)
        male = rng.random() < 0.5
        century_sex = (year // 100 - 19) * 2 + (0 if male else 1)
        province = rng.choice(["001", "079", "038", "040"])
        number = f"{province}{century_sex}{year % 100:02d}{rng.randrange(10**6):06d}"
        if not registry.exists(number):
            break
    middle = "Thị" if not male else rng.choice([m for m in _STRANGER_MIDDLE if m != "Thị"])
    return Subject(
        personal_id=None,
        full_name=join_name(rng.choice(_STRANGER_SURNAMES), middle, rng.choice(_STRANGER_GIVEN)),
        birth_date=date(year, rng.randrange(1, 13), rng.randrange(1, 29)),
        birth_year_only=False,
        sex="male" if male else "female",
        id_number=number,
        legacy_id=None,
        phone=f"09{rng.randrange(10**8):08d}",
        address="Số 1 đường Lê Lợi, Phường Bến Thành, Quận 1, Thành phố Hồ Chí Minh",
        health_insurance_card=None,
        deceased=False,
    )


def _eligible(sector: DatasetSector, row: Row[Any]) -> bool:
    """Who an organisation can hold: subscribers have phones, bank customers are adults."""
    if row.death_date is not None:
        return False
    if sector is DatasetSector.TELECOM:
        phone: str | None = row.phone
        return phone is not None
    if sector is DatasetSector.BANK:
        born: date = row.birth_date
        return (REFERENCE_DAY - born).days >= 18 * 365
    return True


def _eligible_picks(
    registry: _Registry, sector: DatasetSector, size: int, rng: random.Random
) -> list[int]:
    picks: list[int] = []
    while len(picks) < size:
        candidates = [
            rng.randrange(1, registry.size + 1) for _ in range(2 * (size - len(picks)) + 8)
        ]
        rows = registry.fetch(sorted(set(candidates)))
        picks += [c for c in candidates if c in rows and _eligible(sector, rows[c])]
    return picks[:size]


def generate_dataset(
    engine: Engine,
    *,
    sector: DatasetSector,
    size: int,
    error_rate: float,
    seed: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], DatasetReport]:
    """Records and their answer key: per row the true personal ID and the injected faults."""
    if not 0.0 <= error_rate <= 1.0:
        raise ValueError("the error rate must be between 0 and 1")
    rng = random.Random(f"{sector.value}:{seed}")  # noqa: S311 - synthetic data, not security
    registry = _Registry(engine)
    faulty = [rng.random() < error_rate for _ in range(size)]
    subject_fault = [
        rng.choice(SUBJECT_FAULTS_BY_SECTOR[sector]) if bad and rng.random() < 0.3 else None
        for bad in faulty
    ]
    picks = _eligible_picks(registry, sector, size, rng)
    for i, fault in enumerate(subject_fault):
        if fault == DECEASED_STILL_ACTIVE and registry.deceased:
            picks[i] = rng.choice(registry.deceased)
    donors = _eligible_picks(registry, DatasetSector.TELECOM, size, rng)
    fetched = registry.fetch(sorted(set(picks) | set(donors)))
    records: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    tally: dict[str, int] = {}
    for row_number in range(1, size + 1):
        i = row_number - 1
        faults: list[str] = []
        if subject_fault[i] == NOT_IN_REGISTRY:
            subject = _stranger(rng, registry)
            faults.append(NOT_IN_REGISTRY)
        else:
            subject = _subject(fetched[picks[i]])
            if subject_fault[i] == DECEASED_STILL_ACTIVE and subject.deceased:
                faults.append(DECEASED_STILL_ACTIVE)
                # The registry keeps no number for most of the dead; the operator still does.
                subject.phone = subject.phone or f"09{rng.randrange(10**8):08d}"
            donor_phone = fetched[donors[i]].phone
            # A number can only have changed hands if the registry knows the subject's own.
            if (
                subject_fault[i] == PHONE_REASSIGNED
                and subject.phone
                and donor_phone
                and donor_phone != subject.phone
            ):
                subject.phone = donor_phone
                faults.append(PHONE_REASSIGNED)
            # Most faulty rows get one field fault, some two; a wrong subject may add one.
            if faulty[i] and (not faults or rng.random() < 0.3):
                wanted, damaged = (1 if rng.random() < 0.8 else 2), set[str]()
                for name in rng.sample(list(FIELD_FAULTS), len(FIELD_FAULTS)):
                    if len(damaged) == wanted:
                        break
                    if FAULT_FIELD[name] not in damaged and FIELD_FAULTS[name](subject, rng):
                        faults.append(name)
                        damaged.add(FAULT_FIELD[name])
        for name in faults:
            tally[name] = tally.get(name, 0) + 1
        records.append(RECORD_BUILDERS[sector](row_number, subject, rng))
        answers.append({"row": row_number, "personal_id": subject.personal_id, "faults": faults})
    report = DatasetReport(
        rows=size, faulty_rows=sum(1 for a in answers if a["faults"]), faults=tally
    )
    return records, answers, report


def _format_for(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".ndjson", ".jsonl"):
        return "ndjson"
    raise ValueError(f"{path}: use a .csv, .ndjson or .jsonl file name")


def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    """CSV (lists joined with ';', empty cells for nulls) or NDJSON, by file extension."""
    if _format_for(path) == "ndjson":
        path.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else [], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ";".join(v) if isinstance(v, list) else v for k, v in row.items()})
    path.write_text(buffer.getvalue(), encoding="utf-8")
