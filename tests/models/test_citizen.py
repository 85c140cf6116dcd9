"""Citizen, household and card models against a migrated database (both backends)."""

from datetime import date

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import (
    Agency,
    BirthDatePrecision,
    CardKind,
    Citizen,
    Household,
    IdentityCard,
    MaritalStatus,
    Sector,
    Sex,
)
from tests.factories import make_citizen


def test_citizen_round_trips_with_household_and_card(db_session: Session) -> None:
    household = Household(household_number="001000000001", address="Hà Nội")
    db_session.add(household)
    db_session.flush()
    citizen = make_citizen(household_id=household.id, relationship_to_head="Chủ hộ")
    db_session.add(citizen)
    db_session.flush()
    db_session.add(
        IdentityCard(
            citizen_id=citizen.id,
            number=citizen.personal_id,
            kind=CardKind.CCCD_CHIP,
            issued_on=date(2021, 5, 1),
            issued_by="Cục Cảnh sát QLHC về TTXH",
            expires_on=date(2024, 3, 9),
            has_chip=True,
        )
    )
    db_session.flush()
    db_session.expunge_all()

    loaded = db_session.scalars(select(Citizen).where(Citizen.personal_id == "001084000999")).one()
    assert loaded.full_name == "Nguyễn Văn An"
    assert loaded.sex is Sex.MALE
    assert loaded.birth_date_precision is BirthDatePrecision.FULL
    assert loaded.marital_status is MaritalStatus.SINGLE
    assert loaded.nationality == "Việt Nam"
    assert loaded.vneid_level == 0
    assert loaded.temporarily_absent is False
    card = db_session.scalars(
        select(IdentityCard).where(IdentityCard.citizen_id == loaded.id)
    ).one()
    assert card.kind is CardKind.CCCD_CHIP
    assert card.has_chip is True


def test_personal_id_is_unique(db_session: Session) -> None:
    db_session.add(make_citizen())
    db_session.flush()
    db_session.add(make_citizen(full_name="Trần Thị Bình", sex=Sex.FEMALE))
    with pytest.raises(IntegrityError):
        db_session.flush()


@pytest.mark.parametrize(
    ("column", "value"),
    [("sex", "x"), ("marital_status", "engaged"), ("vneid_level", 3)],
)
def test_closed_vocabularies_are_enforced_by_the_database(
    db_session: Session, column: str, value: object
) -> None:
    row: dict[str, object] = {
        "personal_id": "001084000998",
        "full_name": "Lê Văn Cường",
        "birth_date": date(1984, 1, 1),
        "birth_date_precision": "full",
        "sex": "male",
        "place_of_birth": "Hà Nội",
        "birth_registration_province_code": "001",
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
        "permanent_address": "Hà Nội",
        "marital_status": "single",
        "vneid_level": 0,
    }
    row[column] = value
    # Plain SQL, so that the database (not SQLAlchemy's enum type) is what refuses.
    insert = text(f"INSERT INTO citizen ({', '.join(row)}) VALUES (:{', :'.join(row)})")
    with pytest.raises(IntegrityError):
        db_session.execute(insert, row)


def test_personal_id_must_have_twelve_characters(db_session: Session) -> None:
    db_session.add(make_citizen(personal_id="00108400099"))
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_family_links_may_refer_to_rows_inserted_later(db_session: Session) -> None:
    # Bulk loads insert a child before its parent within one transaction.
    db_session.add(
        make_citizen(
            id=1002, personal_id="001205000001", birth_date=date(2005, 1, 1), father_id=1001
        )
    )
    db_session.flush()
    db_session.add(make_citizen(id=1001, personal_id="001075000001", birth_date=date(1975, 1, 1)))
    db_session.flush()
    child = db_session.scalars(select(Citizen).where(Citizen.id == 1002)).one()
    assert child.father_id == 1001


def test_dangling_family_link_is_refused_at_commit(engine: Engine) -> None:
    orphan = make_citizen(personal_id="001205000003", father_id=999_999)
    with Session(engine) as session:
        session.add(orphan)
        with pytest.raises(IntegrityError):
            session.commit()
    with Session(engine) as session:
        stored = session.scalars(select(Citizen).where(Citizen.personal_id == "001205000003"))
        assert stored.first() is None


def test_agency_sector_is_a_closed_vocabulary(db_session: Session) -> None:
    db_session.add(Agency(code="bank-demo", name="Ngân hàng Demo", sector=Sector.BANK))
    db_session.flush()
    with pytest.raises(IntegrityError):
        db_session.execute(
            text("INSERT INTO agency (code, name, sector) VALUES ('x', 'X', 'casino')")
        )
