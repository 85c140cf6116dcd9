"""Seeded sector records: valid by the API's own rules, agreeing with the citizen's numbers,
for the living only, in roughly the real proportions."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import select, text

from app.models import Citizen, SectorRecord
from app.models.records import RecordKind
from app.records.kinds import SPECS
from app.records.schemas import RecordWrite
from app.records.validation import checked_record
from seed.dates import REFERENCE_DATE
from seed.records import SOURCE
from tests.seed.conftest import Seeded

TODAY = date.fromisoformat(str(REFERENCE_DATE))

_cache: dict[str, tuple[list[Any], dict[int, Any]]] = {}


def _rows(seeded: Seeded) -> tuple[list[Any], dict[int, Any]]:
    if seeded.url not in _cache:
        with seeded.engine.connect() as connection:
            records = list(connection.execute(select(SectorRecord.__table__)).all())
            citizens = {
                row.id: row
                for row in connection.execute(
                    select(
                        Citizen.id,
                        Citizen.birth_date,
                        Citizen.death_date,
                        Citizen.health_insurance_card,
                        Citizen.social_insurance_number,
                        Citizen.tax_code,
                    )
                )
            }
        _cache[seeded.url] = (records, citizens)
    return _cache[seeded.url]


def _age(born: date) -> int:
    return TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))


def test_every_seeded_record_passes_the_apis_own_checks(seeded: Seeded) -> None:
    records, _ = _rows(seeded)
    assert len(records) == seeded.report.sector_records
    for row in records:
        write = RecordWrite.model_validate(
            {
                "holder": {"full_name": "-", "birth_date": "2000"},
                "number": row.number,
                "status": row.status,
                "valid_from": row.valid_from,
                "valid_until": row.valid_until,
                "data": row.data,
            }
        )
        checked = checked_record(RecordKind(row.kind), write)
        assert checked.data == row.data
        assert checked.key == row.key
        assert row.agency_code == SOURCE[row.kind]
        assert row.version == 1


def test_records_agree_with_the_citizens_numbers_and_belong_to_the_living(
    seeded: Seeded,
) -> None:
    records, citizens = _rows(seeded)
    column = {
        "health_insurance": "health_insurance_card",
        "social_insurance": "social_insurance_number",
        "tax_registration": "tax_code",
    }
    for row in records:
        citizen = citizens[row.citizen_id]
        assert citizen.death_date is None
        if row.kind in column:
            assert row.number == getattr(citizen, column[row.kind])
        if row.kind in ("driving_licence", "vehicle_registration", "social_insurance"):
            assert _age(citizen.birth_date) >= 18
        if row.valid_from is not None:
            assert row.valid_from >= citizen.birth_date
    cards = sum(1 for c in citizens.values() if c.health_insurance_card and not c.death_date)
    assert Counter(r.kind for r in records)["health_insurance"] == cards


def test_proportions_are_roughly_vietnams(seeded: Seeded) -> None:
    records, citizens = _rows(seeded)
    living = [c for c in citizens.values() if c.death_date is None]
    adults = {c.id for c in living if _age(c.birth_date) >= 18}
    kinds: dict[str, set[int]] = {}
    classes = Counter()
    for row in records:
        kinds.setdefault(row.kind, set()).add(row.citizen_id)
        if row.kind == "driving_licence":
            classes.update(row.data["classes"])
    share = {kind: len(owners) / len(living) for kind, owners in kinds.items()}
    assert 0.83 <= share["health_insurance"] <= 0.91
    assert 0.33 <= len(kinds["driving_licence"]) / len(adults) <= 0.50
    assert 0.33 <= classes["A1"] / len(adults) <= 0.50
    assert 0.05 <= classes["B"] / len(adults) <= 0.13
    assert 0.38 <= len(kinds["vehicle_registration"]) / len(adults) <= 0.55
    assert 0.55 <= share["vaccination"] <= 0.90
    assert 0.15 <= share["social_insurance"] <= 0.35
    doses = Counter(r.citizen_id for r in records if r.kind == "vaccination")
    assert 2.0 <= sum(doses.values()) / len(doses) <= 3.0
    assert set(kinds) == {kind.value for kind in SPECS}


def test_record_numbers_are_unique_where_they_identify_a_document(seeded: Seeded) -> None:
    with seeded.engine.connect() as connection:
        duplicated = connection.execute(
            text(
                "SELECT kind, count(*) FROM (SELECT kind, number FROM sector_record "
                "WHERE kind IN ('driving_licence', 'vehicle_registration', 'vaccination') "
                "GROUP BY kind, number HAVING count(*) > 1) d GROUP BY kind"
            )
        ).all()
        dangling = connection.execute(
            text(
                "SELECT count(*) FROM sector_record r LEFT JOIN citizen c ON c.id = r.citizen_id "
                "WHERE c.id IS NULL"
            )
        ).scalar_one()
    assert duplicated == []
    assert dangling == 0
