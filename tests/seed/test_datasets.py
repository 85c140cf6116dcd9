"""Dirty agency datasets carry exactly the faults their answer key claims."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select

from app.models import Citizen
from seed.datasets import ALL_FAULTS, DatasetSector, generate_dataset, write_rows
from tests.seed.conftest import Seeded, seeded_registry


@pytest.fixture(scope="module")
def registry(request: pytest.FixtureRequest) -> Seeded:
    return seeded_registry(request, "sqlite")


def _citizens(registry: Seeded, personal_ids: list[str]) -> dict[str, dict[str, object]]:
    table = Citizen.__table__
    with registry.engine.connect() as connection:
        rows = (
            connection.execute(select(table).where(table.c.personal_id.in_(personal_ids)))
            .mappings()
            .all()
        )
    return {row["personal_id"]: dict(row) for row in rows}


@pytest.mark.parametrize("sector", list(DatasetSector))
def test_rows_carry_the_faults_the_answer_key_claims(
    registry: Seeded, sector: DatasetSector
) -> None:
    records, answers, report = generate_dataset(
        registry.engine, sector=sector, size=1500, error_rate=0.4, seed=5
    )
    assert len(records) == len(answers) == 1500
    truth = _citizens(registry, [a["personal_id"] for a in answers if a["personal_id"]])
    assert 0.3 <= report.faulty_rows / 1500 <= 0.5
    seen: set[str] = set()
    for record, answer in zip(records, answers, strict=True):
        faults = set(answer["faults"])
        seen |= faults
        assert faults <= set(ALL_FAULTS)
        if "not_in_registry" in faults:
            assert answer["personal_id"] is None
            assert record["id_number"] not in truth
            continue
        citizen = truth[answer["personal_id"]]
        name, born, number = record["full_name"], record["birth_date"], record["id_number"]
        if not faults:
            assert (name, born, number) == (
                citizen["full_name"],
                _shown_birth(citizen),
                citizen["personal_id"],
            )
        if "diacritics_stripped" in faults:
            assert name.isascii()
        if "diacritics_decomposed" in faults:
            assert not unicodedata.is_normalized("NFC", name)
        if "upper_case" in faults:
            assert name == name.upper()
        if "name_order_swapped" in faults:
            assert name.split(" ")[0] == citizen["full_name"].split(" ")[-1]
        if "day_month_swapped" in faults:
            swapped = citizen["birth_date"]
            assert born == date(swapped.year, swapped.day, swapped.month).isoformat()
        if "year_only_birth_date" in faults:
            assert born == str(citizen["birth_date"].year)
        if "legacy_id_instead" in faults:
            assert number == citizen["legacy_id"]
        if "id_digit_wrong" in faults:
            assert sum(a != b for a, b in zip(number, citizen["personal_id"], strict=True)) == 1
        if "name_typo" in faults:
            assert name != citizen["full_name"]
            assert abs(len(name) - len(citizen["full_name"])) <= 1
        if "deceased_still_active" in faults:
            assert citizen["death_date"] is not None
        if "phone_reassigned" in faults:
            assert record.get("msisdn", record.get("phone")) != citizen["phone"]
        field_faults = faults - {"deceased_still_active", "phone_reassigned", "not_in_registry"}
        if not field_faults:
            assert name == citizen["full_name"]
            assert number == citizen["personal_id"]
    expected = {
        "not_in_registry",
        "diacritics_stripped",
        "upper_case",
        "id_digit_wrong",
        "name_typo",
    }
    assert expected <= seen


def _shown_birth(citizen: dict[str, object]) -> str:
    born = citizen["birth_date"]
    assert isinstance(born, date)
    return str(born.year) if citizen["birth_date_precision"] == "year" else born.isoformat()


def test_datasets_are_deterministic_and_seed_dependent(registry: Seeded) -> None:
    first = generate_dataset(
        registry.engine, sector=DatasetSector.BANK, size=300, error_rate=0.3, seed=1
    )
    again = generate_dataset(
        registry.engine, sector=DatasetSector.BANK, size=300, error_rate=0.3, seed=1
    )
    other = generate_dataset(
        registry.engine, sector=DatasetSector.BANK, size=300, error_rate=0.3, seed=2
    )
    assert first[:2] == again[:2]
    assert first[0] != other[0]


def test_telecom_subjects_have_phones_and_bank_customers_are_adults(registry: Seeded) -> None:
    telecom, _, _ = generate_dataset(
        registry.engine, sector=DatasetSector.TELECOM, size=500, error_rate=0.0, seed=4
    )
    assert all(row["msisdn"] for row in telecom)
    bank, answers, _ = generate_dataset(
        registry.engine, sector=DatasetSector.BANK, size=500, error_rate=0.0, seed=4
    )
    assert all(int(row["birth_date"][:4]) <= 2008 for row in bank)
    assert all(not a["faults"] for a in answers)


def test_files_are_csv_or_ndjson_by_extension(registry: Seeded, tmp_path: Path) -> None:
    records, answers, _ = generate_dataset(
        registry.engine, sector=DatasetSector.HOSPITAL, size=50, error_rate=0.5, seed=9
    )
    write_rows(tmp_path / "hospital.csv", records)
    write_rows(tmp_path / "answers.ndjson", answers)
    lines = (tmp_path / "hospital.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("patient_id,full_name,birth_date")
    assert len(lines) == 51
    key = [orjson.loads(line) for line in (tmp_path / "answers.ndjson").read_bytes().splitlines()]
    assert key == answers
    with pytest.raises(ValueError, match="csv"):
        write_rows(tmp_path / "hospital.xlsx", records)
