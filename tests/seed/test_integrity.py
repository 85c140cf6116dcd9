"""Acceptance checks over every row of a seeded registry of 50,000 citizens."""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select, text
from sqlalchemy.orm import aliased

from app.models import Citizen, Household, IdentityCard, PersonalIdHistory
from seed.personas import PERSONAS, persona_by_key
from tests.seed.conftest import SEEDED_CITIZENS, Seeded


def _years_between(older: date, younger: date) -> float:
    return (younger - older).days / 365.2425


def test_every_personal_id_decodes_to_the_citizens_own_facts(seeded: Seeded) -> None:
    statement = select(
        Citizen.personal_id,
        Citizen.sex,
        Citizen.birth_date,
        Citizen.birth_registration_province_code,
    )
    with seeded.engine.connect() as connection:
        rows = connection.execute(statement).all()
    assert len(rows) == SEEDED_CITIZENS
    wrong = []
    for personal_id, sex, birth_date, province in rows:
        century_sex = (birth_date.year // 100 - 19) * 2 + (1 if sex == "female" else 0)
        if (
            len(personal_id) != 12
            or not personal_id.isdigit()
            or personal_id[:3] != province
            or int(personal_id[3]) != century_sex
            or personal_id[4:6] != f"{birth_date.year % 100:02d}"
        ):
            wrong.append(personal_id)
    assert wrong == []


def test_personal_ids_are_unique_and_never_reuse_a_withdrawn_number(seeded: Seeded) -> None:
    with seeded.engine.connect() as connection:
        duplicated = connection.execute(
            select(Citizen.personal_id).group_by(Citizen.personal_id).having(func.count() > 1)
        ).all()
        withdrawn = connection.execute(
            select(PersonalIdHistory.previous_personal_id).join(
                Citizen, Citizen.personal_id == PersonalIdHistory.previous_personal_id
            )
        ).all()
        history = connection.execute(
            select(func.count()).select_from(PersonalIdHistory)
        ).scalar_one()
    assert duplicated == []
    assert withdrawn == []
    assert history == 1


def test_phones_are_unique_except_the_deliberately_shared_one(seeded: Seeded) -> None:
    with seeded.engine.connect() as connection:
        shared = connection.execute(
            select(Citizen.phone, func.count())
            .where(Citizen.phone.is_not(None))
            .group_by(Citizen.phone)
            .having(func.count() > 1)
        ).all()
        holders = (
            connection.execute(
                select(Citizen.id).where(Citizen.phone == shared[0][0]).order_by(Citizen.id)
            )
            .scalars()
            .all()
            if shared
            else []
        )
    keys = [persona.key for persona in PERSONAS]
    assert [count for _, count in shared] == [2]
    assert holders == [keys.index("widowed") + 1, keys.index("shared-phone-owner") + 1]


def test_parents_are_16_to_50_years_older_than_their_children(seeded: Seeded) -> None:
    child, parent = aliased(Citizen), aliased(Citizen)
    with seeded.engine.connect() as connection:
        pairs = connection.execute(
            select(child.birth_date, parent.birth_date).join(
                parent, (parent.id == child.father_id) | (parent.id == child.mother_id)
            )
        ).all()
    assert len(pairs) > SEEDED_CITIZENS // 3
    gaps = [_years_between(parent_born, child_born) for child_born, parent_born in pairs]
    assert min(gaps) >= 16
    assert max(gaps) <= 50


def test_fathers_are_men_and_mothers_are_women(seeded: Seeded) -> None:
    child, father, mother = aliased(Citizen), aliased(Citizen), aliased(Citizen)
    with seeded.engine.connect() as connection:
        wrong_fathers = connection.execute(
            select(func.count())
            .select_from(child)
            .join(father, father.id == child.father_id)
            .where(father.sex != "male")
        ).scalar_one()
        wrong_mothers = connection.execute(
            select(func.count())
            .select_from(child)
            .join(mother, mother.id == child.mother_id)
            .where(mother.sex != "female")
        ).scalar_one()
    assert (wrong_fathers, wrong_mothers) == (0, 0)


def test_spouses_point_at_each_other_and_marital_status_agrees(seeded: Seeded) -> None:
    me, partner = aliased(Citizen), aliased(Citizen)
    with seeded.engine.connect() as connection:
        rows = connection.execute(
            select(
                me.id, me.sex, me.marital_status, me.death_date,
                partner.id, partner.sex, partner.marital_status, partner.death_date,
                partner.spouse_id,
            ).outerjoin(partner, partner.id == me.spouse_id)
        ).all()  # fmt: skip
    problems = []
    for (
        my_id,
        sex,
        status,
        died,
        partner_id,
        partner_sex,
        partner_status,
        partner_died,
        back,
    ) in rows:
        if partner_id is None:
            # Without a linked spouse one is single, divorced, or widowed before the records.
            if status == "married":
                problems.append((my_id, "married without a spouse"))
            continue
        if back != my_id or partner_sex == sex:
            problems.append((my_id, "spouse link not mutual or same sex"))
        elif (
            died is None
            and partner_died is None
            and (status, partner_status) != ("married", "married")
        ):
            problems.append((my_id, "living spouses not both married"))
        elif died is None and partner_died is not None and status != "widowed":
            problems.append((my_id, "spouse died but not widowed"))
        elif status in ("single", "divorced"):
            problems.append((my_id, f"{status} with a spouse link"))
    assert problems == []
    married = sum(1 for row in rows if row[2] == "married")
    assert married > SEEDED_CITIZENS // 4


def test_every_household_has_exactly_one_living_head(seeded: Seeded) -> None:
    head_count = func.sum(case((Citizen.relationship_to_head == "Chủ hộ", 1), else_=0))
    with seeded.engine.connect() as connection:
        heads = connection.execute(
            select(Citizen.household_id, head_count)
            .where(Citizen.household_id.is_not(None))
            .group_by(Citizen.household_id)
        ).all()
        households = connection.execute(select(func.count()).select_from(Household)).scalar_one()
        dead_members = connection.execute(
            select(func.count()).where(
                Citizen.household_id.is_not(None), Citizen.death_date.is_not(None)
            )
        ).scalar_one()
    assert len(heads) == households == seeded.report.households
    assert {count for _, count in heads} == {1}
    assert dead_members == 0


def test_links_reference_existing_rows(seeded: Seeded) -> None:
    links = [
        ("citizen", "father_id", "citizen"),
        ("citizen", "mother_id", "citizen"),
        ("citizen", "spouse_id", "citizen"),
        ("citizen", "guardian_id", "citizen"),
        ("citizen", "household_id", "household"),
        ("identity_card", "citizen_id", "citizen"),
        ("personal_id_history", "citizen_id", "citizen"),
    ]
    checks = {
        f"{table}.{column}": (
            f"SELECT count(*) FROM {table} c LEFT JOIN {target} p ON p.id = c.{column} "
            f"WHERE c.{column} IS NOT NULL AND p.id IS NULL"
        )
        for table, column, target in links
    }
    with seeded.engine.connect() as connection:
        dangling = {
            name: connection.execute(text(sql)).scalar_one() for name, sql in checks.items()
        }
        if seeded.engine.dialect.name == "sqlite":
            dangling["foreign_key_check"] = len(
                connection.execute(text("PRAGMA foreign_key_check")).all()
            )
    assert set(dangling.values()) == {0}, dangling


def test_the_load_restored_indexes_and_sequences(seeded: Seeded) -> None:
    with seeded.engine.connect() as connection:
        if seeded.engine.dialect.name == "sqlite":
            names = set(
                connection.execute(
                    text("SELECT name FROM sqlite_master WHERE type = 'index'")
                ).scalars()
            )
            assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        else:
            names = set(connection.execute(text("SELECT indexname FROM pg_indexes")).scalars())
            next_id = connection.execute(
                text("SELECT nextval(pg_get_serial_sequence('citizen', 'id'))")
            ).scalar_one()
            assert next_id == SEEDED_CITIZENS + 1
    expected = {
        index.name
        for table in (Citizen, IdentityCard, Household)
        for index in table.__table__.indexes
    }
    assert expected <= names


def test_every_persona_is_present_first_and_under_its_name(seeded: Seeded) -> None:
    with seeded.engine.connect() as connection:
        rows = connection.execute(
            select(Citizen.id, Citizen.full_name, Citizen.death_date)
            .where(Citizen.id <= len(PERSONAS))
            .order_by(Citizen.id)
        ).all()
    assert [name for _, name, _ in rows] == [persona.full_name for persona in PERSONAS]
    deceased = persona_by_key()["deceased"]
    assert rows[PERSONAS.index(deceased)][2] == deceased.death_date
