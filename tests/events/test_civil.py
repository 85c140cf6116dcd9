"""Civil-registry operations through the API: the change, its event, and every refusal."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import Engine, select

from app.events import repository
from app.models import Citizen, IdentityCard, LifeEvent, PersonalIdHistory, Sex
from app.models.base import utcnow
from tests.events.conftest import BANK, Civil, People, today

pytestmark = pytest.mark.anyio


def citizen_row(engine: Engine, personal_id: str) -> dict[str, object]:
    with engine.connect() as connection:
        row = connection.execute(
            select(Citizen.__table__).where(Citizen.personal_id == personal_id)
        ).one()
        return dict(row._mapping)


def head(engine: Engine) -> int:
    with engine.connect() as connection:
        return repository.latest_seq(connection)


async def test_a_birth_gets_a_structured_id_parents_household_and_an_event(
    civil: Civil, people: People, engine: Engine
) -> None:
    father, mother = people.couple()
    response = await civil(
        "births",
        {
            "full_name": "Trần Minh Khang",
            "sex": "female",
            "birth_date": today(),
            "place_of_birth": "Bệnh viện Sản Nhi Cà Mau",
            "birth_registration_province": "096",
            "mother_personal_id": mother,
            "father_personal_id": father,
        },
    )
    assert response.status_code == 201, response.text
    (event,) = response.json()["events"]
    new_id = event["personal_id"]
    year = utcnow().year
    # province · century/sex (3 = female born 2000-2099) · year · serial
    assert new_id[:3] == "096"
    assert new_id[3] == "3"
    assert new_id[4:6] == f"{year % 100:02d}"
    assert event["type"] == "birth"
    assert event["changes"]["mother"]["personal_id"] == mother
    assert event["changes"]["father"]["personal_id"] == father
    assert event["changes"]["household"]["relationship_to_head"] == "Con đẻ"
    child = citizen_row(engine, new_id)
    mother_row = citizen_row(engine, mother)
    assert child["mother_id"] == mother_row["id"]
    assert child["household_id"] == mother_row["household_id"]
    assert child["permanent_address"] == mother_row["permanent_address"]
    assert child["sex"] == Sex.FEMALE


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"mother": "male"}, 422, "PARENT_NOT_ELIGIBLE"),
        ({"mother": "young"}, 422, "PARENT_NOT_ELIGIBLE"),
        ({"mother": "dead"}, 422, "PARENT_NOT_ELIGIBLE"),
        ({"mother": "unknown"}, 404, "CITIZEN_NOT_FOUND"),
        ({"birth_registration_province": "999"}, 422, "UNKNOWN_PROVINCE"),
        ({"birth_date": "future"}, 422, "INVALID_EVENT_DATE"),
        ({"father": "female"}, 422, "PARENT_NOT_ELIGIBLE"),
    ],
)
async def test_a_birth_that_breaks_a_rule_is_refused_and_writes_nothing(
    civil: Civil, people: People, engine: Engine, change: dict[str, str], status: int, code: str
) -> None:
    mothers = {
        "male": lambda: people.add(sex=Sex.MALE),
        "young": lambda: people.add(sex=Sex.FEMALE, birth_date=date.today() - timedelta(days=3650)),
        "dead": lambda: people.add(sex=Sex.FEMALE, death_date=date(2020, 1, 1)),
        "unknown": lambda: "096190999999",
    }
    mother = mothers[change["mother"]]() if "mother" in change else people.add(sex=Sex.FEMALE)
    body = {
        "full_name": "Lê Văn Tí",
        "sex": "male",
        "birth_date": (date.today() + timedelta(days=30)).isoformat()
        if change.get("birth_date") == "future"
        else today(),
        "place_of_birth": "Trạm y tế xã",
        "birth_registration_province": change.get("birth_registration_province", "096"),
        "mother_personal_id": mother,
    }
    if change.get("father") == "female":
        body["father_personal_id"] = people.add(sex=Sex.FEMALE)
    before = head(engine)
    response = await civil("births", body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert head(engine) == before


async def test_a_death_is_recorded_once_and_widows_the_spouse(
    civil: Civil, people: People, engine: Engine
) -> None:
    husband, wife = people.couple()
    first = await civil("deaths", {"personal_id": husband, "death_date": today()})
    assert first.status_code == 201, first.text
    death, widowhood = first.json()["events"]
    assert death["changes"] == {"vital_status": "deceased", "death_date": today()}
    assert (widowhood["type"], widowhood["personal_id"]) == ("widowhood", wife)
    assert widowhood["changes"]["marital_status"] == "widowed"
    assert widowhood["changes"]["spouse"]["personal_id"] == husband
    assert citizen_row(engine, wife)["marital_status"] == "widowed"
    again = await civil("deaths", {"personal_id": husband, "death_date": today()})
    assert again.status_code == 409
    assert again.json()["code"] == "CITIZEN_DECEASED"
    moved = await civil(
        "residence-changes",
        {
            "personal_id": husband,
            "kind": "current",
            "street": "Số 1",
            "ward_code": "00004",
            "moved_on": today(),
        },
    )
    assert moved.json()["code"] == "CITIZEN_DECEASED"


async def test_a_death_before_the_birth_is_refused(civil: Civil, people: People) -> None:
    someone = people.add(birth_date=date(1990, 5, 17))
    response = await civil("deaths", {"personal_id": someone, "death_date": "1989-01-01"})
    assert response.status_code == 422
    assert response.json()["code"] == "INVALID_EVENT_DATE"


async def test_a_marriage_updates_both_spouses_and_a_second_one_is_refused(
    civil: Civil, people: People, engine: Engine
) -> None:
    man, woman = people.couple(married=False)
    response = await civil("marriages", {"spouses": [man, woman], "married_on": today()})
    assert response.status_code == 201, response.text
    events = response.json()["events"]
    assert [e["personal_id"] for e in events] == [man, woman]
    assert events[0]["changes"]["spouse"]["personal_id"] == woman
    assert all(e["changes"]["marital_status"] == "married" for e in events)
    a, b = citizen_row(engine, man), citizen_row(engine, woman)
    assert (a["spouse_id"], b["spouse_id"]) == (b["id"], a["id"])
    other = people.add(sex=Sex.FEMALE)
    again = await civil("marriages", {"spouses": [man, other], "married_on": today()})
    assert again.status_code == 409
    assert again.json()["code"] == "ALREADY_MARRIED"


async def test_marriages_the_law_forbids_are_refused(civil: Civil, people: People) -> None:
    man = people.add(sex=Sex.MALE)
    young = people.add(sex=Sex.MALE, birth_date=date.today() - timedelta(days=19 * 365))
    woman = people.add(sex=Sex.FEMALE)
    other_man = people.add(sex=Sex.MALE)
    cases = [
        [man, man],
        [young, woman],
        [man, other_man],
    ]
    for spouses in cases:
        response = await civil("marriages", {"spouses": spouses, "married_on": today()})
        assert response.status_code == 422, (spouses, response.text)
        assert response.json()["code"] == "MARRIAGE_NOT_ALLOWED"


async def test_siblings_may_not_marry(civil: Civil, people: People, engine: Engine) -> None:
    father = people.add(sex=Sex.MALE, birth_date=date(1960, 1, 1))
    mother = people.add(sex=Sex.FEMALE, birth_date=date(1962, 1, 1))
    born = []
    for sex in ("male", "female"):
        response = await civil(
            "births",
            {
                "full_name": "Con",
                "sex": sex,
                "birth_date": "2000-01-01",
                "place_of_birth": "Cà Mau",
                "birth_registration_province": "096",
                "mother_personal_id": mother,
                "father_personal_id": father,
            },
        )
        assert response.status_code == 201, response.text
        born.append(response.json()["events"][0]["personal_id"])
    response = await civil("marriages", {"spouses": born, "married_on": today()})
    assert response.status_code == 422
    assert "siblings" in response.json()["detail"]


async def test_a_divorce_unlinks_both_and_needs_a_married_couple(
    civil: Civil, people: People, engine: Engine
) -> None:
    husband, wife = people.couple()
    response = await civil("divorces", {"spouses": [wife, husband], "divorced_on": today()})
    assert response.status_code == 201, response.text
    for pid in (husband, wife):
        row = citizen_row(engine, pid)
        assert (row["marital_status"], row["spouse_id"]) == ("divorced", None)
    again = await civil("divorces", {"spouses": [wife, husband], "divorced_on": today()})
    assert again.status_code == 409
    assert again.json()["code"] == "NOT_MARRIED_TO_EACH_OTHER"


async def test_a_move_is_stored_in_both_unit_systems(
    civil: Civil, people: People, engine: Engine
) -> None:
    mover = people.add()
    body = {
        "personal_id": mover,
        "kind": "permanent",
        "street": "Số 5 phố Huế",
        "legacy_ward_code": "00004",
        "moved_on": today(),
    }
    response = await civil("residence-changes", body)
    assert response.status_code == 201, response.text
    address = response.json()["events"][0]["changes"]["permanent_address"]
    assert address["address"] == "Số 5 phố Huế, Phường Trúc Bạch, Quận Ba Đình, Thành phố Hà Nội"
    assert address["address_2025"] == "Số 5 phố Huế, Phường Ba Đình, Thành phố Hà Nội"
    row = citizen_row(engine, mover)
    assert (row["permanent_legacy_ward_code"], row["permanent_ward_code"]) == ("00004", "00004")
    same = await civil("residence-changes", body)
    assert (same.status_code, same.json()["code"]) == (409, "NOTHING_TO_CHANGE")
    unknown = await civil("residence-changes", {**body, "legacy_ward_code": "99999"})
    assert (unknown.status_code, unknown.json()["code"]) == (422, "UNKNOWN_WARD")
    both = await civil("residence-changes", {**body, "ward_code": "00004"})
    assert (both.status_code, both.json()["code"]) == (422, "UNKNOWN_WARD")


async def test_a_name_change_keeps_the_old_name_among_other_names(
    civil: Civil, people: People, engine: Engine
) -> None:
    someone = people.add(full_name="Nguyễn Văn Tèo")
    body = {"personal_id": someone, "full_name": "Nguyễn Văn Thành", "changed_on": today()}
    response = await civil("name-changes", body)
    assert response.status_code == 201, response.text
    assert response.json()["events"][0]["previous"]["full_name"] == "Nguyễn Văn Tèo"
    row = citizen_row(engine, someone)
    assert (row["full_name"], row["other_names"]) == ("Nguyễn Văn Thành", "Nguyễn Văn Tèo")
    same = await civil("name-changes", body)
    assert same.json()["code"] == "NOTHING_TO_CHANGE"


async def test_a_reissued_card_expires_by_the_age_rule(
    civil: Civil, people: People, engine: Engine
) -> None:
    someone = people.add(birth_date=date(1990, 5, 17))
    response = await civil(
        "card-reissues", {"personal_id": someone, "reason": "lost", "issued_on": "2026-01-10"}
    )
    assert response.status_code == 201, response.text
    (card,) = response.json()["events"][0]["changes"]["cards"]
    assert card == {
        "number": someone,
        "kind": "cccd_2024",
        "issued_on": "2026-01-10",
        "issued_by": "Bộ Công an",
        "expires_on": "2030-05-17",  # issued at 35: renewed at 40
        "has_chip": True,
    }
    with engine.connect() as connection:
        cards = connection.execute(select(IdentityCard.number)).scalars().all()
    assert someone in cards


async def test_an_id_correction_issues_a_new_number_and_keeps_the_old_one(
    civil: Civil, people: People, engine: Engine, client: httpx.AsyncClient
) -> None:
    someone = people.add(birth_date=date(1991, 6, 1))
    response = await civil(
        "id-corrections",
        {
            "personal_id": someone,
            "reason": "wrong_birth_year",
            "birth_date": "1990-06-01",
            "corrected_on": today(),
        },
    )
    assert response.status_code == 201, response.text
    event = response.json()["events"][0]
    new_id = event["personal_id"]
    assert new_id[:6] == "096090"
    assert event["previous"]["personal_id"] == someone
    with engine.connect() as connection:
        kept = connection.execute(
            select(PersonalIdHistory.previous_personal_id).where(
                PersonalIdHistory.previous_personal_id == someone
            )
        ).scalar()
    assert kept == someone
    assert citizen_row(engine, new_id)["birth_date"] == date(1990, 6, 1)
    pointless = await civil(
        "id-corrections",
        {"personal_id": new_id, "reason": "wrong_sex", "sex": "male", "corrected_on": today()},
    )
    assert pointless.status_code == 422


async def test_a_birth_year_no_personal_id_can_encode_is_refused(
    civil: Civil, people: People
) -> None:
    # Found by contract fuzzing: the new number's century digit covers 1900-2399 only,
    # and a correction to the year 947 was a 500.
    someone = people.add(birth_date=date(1991, 6, 1))
    body = {"personal_id": someone, "reason": "wrong_birth_year", "corrected_on": today()}
    response = await civil("id-corrections", {**body, "birth_date": "0947-01-03"})
    assert (response.status_code, response.json()["code"]) == (422, "INVALID_EVENT_DATE")


async def test_only_civil_registries_and_admin_record_events(
    civil: Civil, people: People, client: httpx.AsyncClient, engine: Engine
) -> None:
    someone = people.add()
    body = {"personal_id": someone, "death_date": today()}
    bank = await civil("deaths", body, agency=BANK, headers={"X-Purpose": "kyc_refresh"})
    assert (bank.status_code, bank.json()["code"]) == (403, "OPERATION_NOT_ALLOWED")
    anonymous = await client.post("/v1/civil/deaths", json=body)
    assert anonymous.status_code == 401
    admin = await client.post(
        "/v1/civil/deaths", json=body, headers={"Authorization": "Bearer sandbox-admin-token"}
    )
    assert admin.status_code == 201, admin.text
    with engine.connect() as connection:
        recorded_by = connection.execute(
            select(LifeEvent.agency_code).where(LifeEvent.personal_id == someone)
        ).scalar()
    assert recorded_by == "popreg-admin"


async def test_a_retry_with_the_same_idempotency_key_is_answered_not_recorded_again(
    civil: Civil, people: People, engine: Engine
) -> None:
    someone = people.add()
    body = {"personal_id": someone, "death_date": today()}
    headers = {"Idempotency-Key": f"death-{someone}"}
    first = await civil("deaths", body, headers=headers)
    before = head(engine)
    retry = await civil("deaths", body, headers=headers)
    assert retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    assert head(engine) == before
    other = await civil("deaths", {**body, "death_date": "2026-01-01"}, headers=headers)
    assert (other.status_code, other.json()["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")


async def test_changes_and_refusals_are_audited(
    civil: Civil, people: People, client: httpx.AsyncClient
) -> None:
    someone = people.add()
    await civil("deaths", {"personal_id": someone, "death_date": today()})
    await civil("deaths", {"personal_id": someone, "death_date": today()})
    records = (
        await client.get(
            "/v1/audit/events",
            params={"personal_id": someone},
            headers={"Authorization": "Bearer sandbox-admin-token"},
        )
    ).json()["events"]
    outcomes = [(r["operation"], r["outcome"], r.get("code")) for r in records]
    assert ("civil_death", "recorded", None) in outcomes
    assert ("civil_death", "denied", "CITIZEN_DECEASED") in outcomes


async def test_after_an_id_correction_the_citizen_still_sees_the_old_numbers_records(
    civil: Civil, people: People, client: httpx.AsyncClient
) -> None:
    from tests.citizen.test_router import sign_in

    someone = people.add(birth_date=date(1992, 2, 2))
    await civil(
        "name-changes", {"personal_id": someone, "full_name": "Tên Cũ", "changed_on": today()}
    )
    corrected = await civil(
        "id-corrections",
        {
            "personal_id": someone,
            "reason": "wrong_birth_year",
            "birth_date": "1993-02-02",
            "corrected_on": today(),
        },
    )
    new_id = corrected.json()["events"][0]["personal_id"]
    citizen = await sign_in(client, new_id)
    log = (await client.get("/v1/me/access-log", headers=citizen)).json()["records"]
    summaries = [r["summary"] for r in log]
    assert any("corrected your personal ID number" in s for s in summaries), summaries
    assert any("recorded your change of name" in s for s in summaries), summaries
