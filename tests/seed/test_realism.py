"""The seeded population looks like Vietnam's: shares, names, addresses, cards."""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter
from datetime import date
from importlib import resources
from typing import Any

from sqlalchemy import select

from app.models import Citizen, IdentityCard
from seed.dates import REFERENCE_DATE
from tests.seed.conftest import Seeded

TODAY = date.fromisoformat(str(REFERENCE_DATE))
MOBILE_PREFIXES = {
    "086", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039",
    "088", "091", "094", "081", "082", "083", "084", "085",
    "089", "090", "093", "070", "076", "077", "078", "079",
    "092", "056", "058", "099", "059",
}  # fmt: skip


def _age(born: date, on: date = TODAY) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _birthday(born: date, age: int) -> date:
    try:
        return born.replace(year=born.year + age)
    except ValueError:  # 29 February
        return date(born.year + age, 2, 28)


_rows: dict[str, list[Any]] = {}


def _citizens(seeded: Seeded) -> list[Any]:
    if seeded.url not in _rows:
        with seeded.engine.connect() as connection:
            _rows[seeded.url] = list(connection.execute(select(Citizen.__table__)).all())
    return _rows[seeded.url]


def test_age_pyramid_and_sex_ratio_are_close_to_vietnams(seeded: Seeded) -> None:
    living = [c for c in _citizens(seeded) if c.death_date is None]
    ages = [_age(c.birth_date) for c in living]
    children = sum(1 for a in ages if a < 15) / len(ages)
    elderly = sum(1 for a in ages if a >= 65) / len(ages)
    men = sum(1 for c in living if c.sex == "male")
    assert 0.20 <= children <= 0.29
    assert 0.05 <= elderly <= 0.11
    assert 0.93 <= men / (len(living) - men) <= 1.05
    deceased = 1 - len(living) / len(ages + [0] * (len(_citizens(seeded)) - len(living)))
    assert 0.01 <= deceased <= 0.08


def test_names_follow_the_facts(seeded: Seeded) -> None:
    citizens = _citizens(seeded)
    assert all(unicodedata.is_normalized("NFC", c.full_name) for c in citizens)
    kinh = [c for c in citizens if c.ethnicity == "Kinh"]
    surnames = Counter(c.full_name.split(" ")[0] for c in kinh)
    assert 0.34 <= surnames["Nguyễn"] / len(kinh) <= 0.42
    assert 0.09 <= surnames["Trần"] / len(kinh) <= 0.13
    assert len(surnames) > 60
    # Huỳnh and Võ are the southern spellings of Hoàng and Vũ.
    southern = [c for c in kinh if c.birth_registration_province_code in ("079", "089", "092")]
    northern = [c for c in kinh if c.birth_registration_province_code in ("001", "034", "036")]
    assert sum(c.full_name.startswith("Huỳnh ") for c in southern) > sum(
        c.full_name.startswith("Hoàng ") for c in southern
    )
    assert sum(c.full_name.startswith("Hoàng ") for c in northern) > sum(
        c.full_name.startswith("Huỳnh ") for c in northern
    )
    women_thi = sum(" Thị " in c.full_name for c in kinh if c.sex == "female")
    men_thi = sum(" Thị " in c.full_name for c in kinh if c.sex == "male")
    assert women_thi > 1000
    assert men_thi == 0


def test_ethnicity_religion_and_blood_type_shares(seeded: Seeded) -> None:
    citizens = _citizens(seeded)
    n = len(citizens)
    ethnicity = Counter(c.ethnicity for c in citizens)
    assert 0.80 <= ethnicity["Kinh"] / n <= 0.90
    assert {"Tày", "Thái", "Mường", "H'Mông", "Khmer", "Nùng", "Hoa"} <= set(ethnicity)
    religion = Counter(c.religion for c in citizens)
    assert 0.75 <= religion["Không"] / n <= 0.92
    assert 0.03 <= religion["Công giáo"] / n <= 0.10
    blood = Counter(c.blood_type for c in citizens if c.blood_type)
    typed = sum(blood.values())
    assert 0.36 <= blood["O"] / typed <= 0.47
    assert 0.25 <= blood["B"] / typed <= 0.35


def test_addresses_are_real_wards_with_their_2025_unit(seeded: Seeded) -> None:
    text = resources.files("seed.data").joinpath("wards.csv").read_text(encoding="utf-8")
    wards = {row["legacy_ward_code"]: row for row in csv.DictReader(text.splitlines())}
    citizens = _citizens(seeded)
    for c in citizens:
        ward = wards[c.permanent_legacy_ward_code]
        assert c.permanent_ward_code == ward["ward_code"]
        assert c.permanent_address.endswith(
            f"{ward['legacy_ward']}, {ward['legacy_district']}, {ward['legacy_province']}"
        )
        assert c.permanent_address_2025.endswith(f"{ward['ward']}, {ward['province']}")
        assert c.current_address in (c.permanent_address, c.temporary_address)
    temporary = sum(1 for c in citizens if c.temporary_address)
    assert 0.01 <= temporary / len(citizens) <= 0.08
    # Born (and registered) where the family lives or comes from, most of the time.
    province = {row["legacy_province_code"]: row["legacy_province"] for row in wards.values()}
    consistent = sum(
        1
        for c in citizens
        if c.place_of_birth.endswith(province[c.birth_registration_province_code])
    )
    assert consistent / len(citizens) >= 0.95


def test_phones_cmnd_and_vneid(seeded: Seeded) -> None:
    citizens = _citizens(seeded)
    phones = [c.phone for c in citizens if c.phone]
    assert all(len(p) == 10 and p[:3] in MOBILE_PREFIXES for p in phones)
    adults_before_2000 = [
        c for c in citizens if c.birth_date.year < 2000 and c.birth_date.year > 1940
    ]
    with_cmnd = [c for c in adults_before_2000 if c.legacy_id]
    assert 0.6 <= len(with_cmnd) / len(adults_before_2000) <= 0.9
    assert all(len(c.legacy_id) == 9 and c.legacy_id.isdigit() for c in with_cmnd)
    duplicated_range = [
        c for c in citizens if c.legacy_id and 271450001 <= int(c.legacy_id) <= 271500000
    ]
    numbers = Counter(c.legacy_id for c in duplicated_range)
    assert 2 <= len(duplicated_range) <= 200
    assert max(numbers.values()) == 2
    levels = Counter(
        c.vneid_level for c in citizens if c.death_date is None and _age(c.birth_date) >= 14
    )
    assert levels[2] > levels[1] > 0
    assert levels[0] > 0
    assert any(c.email for c in citizens)
    assert all("@" in c.email for c in citizens if c.email)


def test_card_expiry_follows_the_renewal_ages(seeded: Seeded) -> None:
    with seeded.engine.connect() as connection:
        cards = connection.execute(
            select(
                IdentityCard.kind, IdentityCard.issued_on, IdentityCard.expires_on,
                IdentityCard.has_chip, IdentityCard.number,
                Citizen.birth_date, Citizen.personal_id, Citizen.legacy_id,
            ).join(Citizen, Citizen.id == IdentityCard.citizen_id)
        ).all()  # fmt: skip
    assert len(cards) > 50_000
    for kind, issued, expires, chip, number, born, personal_id, legacy_id in cards:
        assert issued <= TODAY
        assert issued > born
        if kind == "cmnd":
            assert number == legacy_id
            assert not chip
            assert expires == _birthday(issued, 15)
            continue
        assert number == personal_id
        assert chip == (kind in ("cccd_chip", "cccd_2024"))
        age = _age(born, issued)
        if age < 14:
            expected = _birthday(born, 14)
        else:
            later = [m for m in (25, 40, 60) if issued < _birthday(born, m - 2)]
            expected = _birthday(born, later[0]) if later else None
        assert expires == expected, (kind, issued, born)
