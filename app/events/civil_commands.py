"""The civil-registry operations: check the rules, change the citizens, describe the events.

Each command runs inside the caller's write transaction and returns the events
it caused (one per citizen changed), without sequence numbers: ``civil.record``
numbers them, queues their webhook deliveries and audits them in the same
transaction.
"""

from __future__ import annotations

import secrets
import unicodedata
from datetime import date
from typing import Any

from sqlalchemy import Connection, select, update

from app.events import civil_repository as repo
from app.events import civil_rules as rules
from app.events.addresses import resolve
from app.events.civil_schemas import (
    BirthRegistration,
    CardReissue,
    DeathRegistration,
    Divorce,
    IdCorrection,
    Marriage,
    NameChange,
    ResidenceChange,
)
from app.events.errors import (
    AlreadyMarriedError,
    IneligibleError,
    InvalidEventDateError,
    NothingToChangeError,
    NotMarriedError,
    UnknownProvinceError,
)
from app.identity.documents import birth_date_text, iso_date
from app.identity.errors import CitizenNotFoundError
from app.identity.personal_id import century_sex_digit
from app.identity.provinces import PROVINCES
from app.models import Consent, EventType, IdentityCard
from app.models.enums import CardKind, MaritalStatus, Sex

Row = dict[str, Any]
Event = dict[str, Any]
HEAD, SPOUSES = "Chủ hộ", ("Vợ", "Chồng")


def event(
    kind: EventType,
    citizen: Row,
    day: date,
    changes: Row,
    previous: Row | None = None,
    detail: Row | None = None,
) -> Event:
    return {
        "type": kind,
        "citizen_id": citizen["id"],
        "personal_id": citizen["personal_id"],
        "occurred_on": day,
        "changes": changes,
        "previous": previous or {},
        "detail": detail or {},
    }


def person(row: Row | None) -> Row | None:
    if row is None:
        return None
    return {k: row[k] for k in ("personal_id", "full_name", "nationality")}


def citizen(connection: Connection, personal_id: str, role: str = "citizen") -> Row:
    row = repo.citizen_by_personal_id(connection, personal_id)
    if row is None:
        raise CitizenNotFoundError(f"No {role} with personal ID {personal_id} in the registry.")
    return row


def _address(row: Row, kind: str) -> Row | None:
    if row[f"{kind}_address"] is None:
        return None
    return {
        "address": row[f"{kind}_address"],
        "address_2025": row[f"{kind}_address_2025"],
        "legacy_ward_code": row[f"{kind}_legacy_ward_code"],
        "ward_code": row[f"{kind}_ward_code"],
    }


def new_personal_id(connection: Connection, province: str, sex: Sex, born: date) -> str:
    """Province, century and sex, year, and a random six-digit serial nobody has held."""
    try:
        digit = century_sex_digit(sex, born.year)
    except ValueError as exc:  # the ID's century digit covers 1900-2399
        raise InvalidEventDateError(
            f"A personal ID cannot encode the birth year {born.year} (1900-2399 only)."
        ) from exc
    prefix = f"{province}{digit}{born.year % 100:02d}"
    while True:
        candidate = f"{prefix}{secrets.randbelow(1_000_000):06d}"
        if not repo.personal_id_taken(connection, candidate):
            return candidate


def _province(code: str) -> Row:
    if code not in PROVINCES:
        raise UnknownProvinceError(f"{code!r} is not a birth-registration province code.")
    return {"code": code, "name": PROVINCES[code]}


def _child_relationship(parent: Row) -> str:
    relation = parent["relationship_to_head"]
    if relation in (HEAD, *SPOUSES):
        return "Con đẻ"
    if relation in ("Con dâu",) or (relation in ("Con đẻ", "Con nuôi") and parent["sex"] == "male"):
        return "Cháu nội"
    return "Cháu ngoại"


def register_birth(connection: Connection, body: BirthRegistration, today: date) -> list[Event]:
    rules.check_event_date(body.birth_date, today)
    province = _province(body.birth_registration_province)
    mother = citizen(connection, body.mother_personal_id, "mother")
    rules.check_parent(mother, "mother", body.birth_date)
    father = None
    if body.father_personal_id is not None:
        father = citizen(connection, body.father_personal_id, "father")
        rules.check_parent(father, "father", body.birth_date)
    home = father if body.household_of == "father" and father is not None else mother
    if body.household_of == "father" and father is None:
        raise IneligibleError("household_of is 'father' but no father_personal_id was given.")
    lineage = father or mother
    household = repo.household(connection, home["household_id"]) if home["household_id"] else None
    personal_id = new_personal_id(connection, province["code"], body.sex, body.birth_date)
    values: Row = {
        "personal_id": personal_id,
        "full_name": unicodedata.normalize("NFC", body.full_name),
        "birth_date": body.birth_date,
        "sex": body.sex,
        "place_of_birth": body.place_of_birth,
        "birth_registration_province_code": province["code"],
        "hometown": lineage["hometown"],
        "ethnicity": body.ethnicity or lineage["ethnicity"],
        "religion": body.religion,
        "nationality": body.nationality,
        "father_id": father["id"] if father else None,
        "mother_id": mother["id"],
        "marital_status": MaritalStatus.SINGLE,
        "household_id": home["household_id"],
        "relationship_to_head": _child_relationship(home) if household else None,
        "residence_file_number": home["residence_file_number"],
    }
    # The child lives where the parent does: permanent residence, and current if recorded.
    moved = home["current_address"] is not None
    for part in ("address", "address_2025", "legacy_ward_code", "ward_code"):
        values[f"permanent_{part}"] = home[f"permanent_{part}"]
        values[f"current_{part}"] = home[f"current_{part}" if moved else f"permanent_{part}"]
    child_id = repo.insert_citizen(connection, values)
    child = {**values, "id": child_id}
    changes = {
        "personal_id": personal_id,
        "full_name": values["full_name"],
        "birth_date": body.birth_date.isoformat(),
        "sex": body.sex.value,
        "place_of_birth": body.place_of_birth,
        "birth_registration_province": province,
        "hometown": values["hometown"],
        "ethnicity": values["ethnicity"],
        "religion": values["religion"],
        "nationality": values["nationality"],
        "father": person(father),
        "mother": person(mother),
        "household": None
        if household is None
        else {
            "household_number": household["household_number"],
            "relationship_to_head": values["relationship_to_head"],
        },
        "permanent_address": _address(child, "permanent"),
        "current_address": _address(child, "current"),
        "marital_status": MaritalStatus.SINGLE.value,
        "vital_status": "alive",
    }
    return [event(EventType.BIRTH, child, body.birth_date, changes)]


def register_death(connection: Connection, body: DeathRegistration, today: date) -> list[Event]:
    deceased = citizen(connection, body.personal_id)
    rules.require_alive(deceased)
    rules.check_event_date(body.death_date, today, deceased)
    repo.update_citizen(connection, deceased["id"], {"death_date": body.death_date})
    detail: Row = {"place_of_death": body.place_of_death} if body.place_of_death else {}
    changes = {"vital_status": "deceased", "death_date": body.death_date.isoformat()}
    previous = {"vital_status": "missing" if deceased["disappearance_date"] else "alive"}
    events = [event(EventType.DEATH, deceased, body.death_date, changes, previous, detail)]
    spouse = (
        repo.citizen_by_id(connection, deceased["spouse_id"]) if deceased["spouse_id"] else None
    )
    if (
        spouse is not None
        and spouse["death_date"] is None
        and spouse["marital_status"] == "married"
    ):
        # The survivor is widowed; the spouse link stays, pointing at the deceased.
        repo.update_citizen(connection, spouse["id"], {"marital_status": MaritalStatus.WIDOWED})
        events.append(
            event(
                EventType.WIDOWHOOD,
                spouse,
                body.death_date,
                {"marital_status": "widowed", "spouse": person(deceased)},
                {"marital_status": "married"},
            )
        )
    return events


def change_residence(connection: Connection, body: ResidenceChange, today: date) -> list[Event]:
    mover = citizen(connection, body.personal_id)
    rules.require_alive(mover)
    rules.check_event_date(body.moved_on, today, mover)
    address = resolve(body.street, body.legacy_ward_code, body.ward_code)
    before = _address(mover, body.kind)
    if before is not None and before["address_2025"] == address.address_2025:
        raise NothingToChangeError(f"The {body.kind} address is already {address.address_2025}.")
    repo.update_citizen(
        connection,
        mover["id"],
        {
            f"{body.kind}_address": address.address,
            f"{body.kind}_address_2025": address.address_2025,
            f"{body.kind}_legacy_ward_code": address.legacy_ward_code,
            f"{body.kind}_ward_code": address.ward_code,
        },
    )
    field = f"{body.kind}_address"
    return [
        event(
            EventType.RESIDENCE_CHANGE,
            mover,
            body.moved_on,
            {field: address.document()},
            {field: before},
            {"kind": body.kind},
        )
    ]


def _couple(connection: Connection, spouses: list[str]) -> tuple[Row, Row]:
    a, b = (citizen(connection, pid) for pid in spouses)
    return a, b


def register_marriage(connection: Connection, body: Marriage, today: date) -> list[Event]:
    a, b = _couple(connection, body.spouses)
    for someone in (a, b):
        rules.require_alive(someone)
        if someone["marital_status"] == MaritalStatus.MARRIED.value:
            raise AlreadyMarriedError(f"Citizen {someone['personal_id']} is already married.")
    rules.check_event_date(body.married_on, today)
    rules.check_marriage(a, b, body.married_on)
    events = []
    for one, other in ((a, b), (b, a)):
        repo.update_citizen(
            connection,
            one["id"],
            {"marital_status": MaritalStatus.MARRIED, "spouse_id": other["id"]},
        )
        events.append(
            event(
                EventType.MARRIAGE,
                one,
                body.married_on,
                {"marital_status": "married", "spouse": person(other)},
                {"marital_status": one["marital_status"]},
            )
        )
    return events


def register_divorce(connection: Connection, body: Divorce, today: date) -> list[Event]:
    a, b = _couple(connection, body.spouses)
    for someone in (a, b):
        rules.require_alive(someone)
    married = (
        a["spouse_id"] == b["id"]
        and b["spouse_id"] == a["id"]
        and a["marital_status"] == b["marital_status"] == MaritalStatus.MARRIED.value
    )
    if not married:
        raise NotMarriedError(
            f"Citizens {a['personal_id']} and {b['personal_id']} are not married to each other."
        )
    rules.check_event_date(body.divorced_on, today)
    events = []
    for one, other in ((a, b), (b, a)):
        repo.update_citizen(
            connection, one["id"], {"marital_status": MaritalStatus.DIVORCED, "spouse_id": None}
        )
        events.append(
            event(
                EventType.DIVORCE,
                one,
                body.divorced_on,
                {"marital_status": "divorced", "spouse": None},
                {"marital_status": "married", "spouse": person(other)},
            )
        )
    return events


def change_name(connection: Connection, body: NameChange, today: date) -> list[Event]:
    subject = citizen(connection, body.personal_id)
    rules.require_alive(subject)
    rules.check_event_date(body.changed_on, today, subject)
    name = unicodedata.normalize("NFC", body.full_name)
    if name == subject["full_name"]:
        raise NothingToChangeError(f"The citizen's name is already {name}.")
    # Field 2 of Article 9 keeps the names a citizen was known by.
    others = (
        subject["full_name"]
        if not subject["other_names"]
        else (f"{subject['other_names']}, {subject['full_name']}")[:200]
    )
    repo.update_citizen(connection, subject["id"], {"full_name": name, "other_names": others})
    return [
        event(
            EventType.NAME_CHANGE,
            subject,
            body.changed_on,
            {"full_name": name, "other_names": others},
            {"full_name": subject["full_name"], "other_names": subject["other_names"]},
            {"reason": body.reason} if body.reason else None,
        )
    ]


def _cards(connection: Connection, citizen_id: int) -> list[Row]:
    rows = connection.execute(
        select(IdentityCard)
        .where(IdentityCard.citizen_id == citizen_id)
        .order_by(IdentityCard.issued_on, IdentityCard.id)
    )
    return [
        {
            "number": row.number,
            "kind": str(row.kind),
            "issued_on": iso_date(row.issued_on),
            "issued_by": row.issued_by,
            "expires_on": iso_date(row.expires_on),
            "has_chip": bool(row.has_chip),
        }
        for row in rows
    ]


def reissue_card(connection: Connection, body: CardReissue, today: date) -> list[Event]:
    holder = citizen(connection, body.personal_id)
    rules.require_alive(holder)
    rules.check_event_date(body.issued_on, today, holder)
    before = _cards(connection, holder["id"])
    expires = rules.card_expiry(rules.as_date(holder["birth_date"]), body.issued_on)
    repo.insert_card(
        connection,
        {
            "citizen_id": holder["id"],
            "number": holder["personal_id"],
            "kind": CardKind.CCCD_2024,
            "issued_on": body.issued_on,
            "issued_by": body.issued_by,
            "expires_on": expires,
            "has_chip": True,
        },
    )
    after = _cards(connection, holder["id"])
    detail = {"reason": body.reason}
    return [
        event(
            EventType.CARD_REISSUE,
            holder,
            body.issued_on,
            {"cards": after},
            {"cards": before},
            detail,
        )
    ]


def correct_personal_id(connection: Connection, body: IdCorrection, today: date) -> list[Event]:
    subject = citizen(connection, body.personal_id)
    rules.check_event_date(body.corrected_on, today)
    born = rules.as_date(subject["birth_date"])
    sex, province = Sex(subject["sex"]), subject["birth_registration_province_code"]
    changes: Row = {}
    previous: Row = {}
    values: Row = {}
    if body.reason.value == "wrong_birth_year":
        if body.birth_date is None or body.birth_date.year == born.year:
            raise IneligibleError("wrong_birth_year needs a birth_date in another year.")
        rules.check_event_date(body.birth_date, today)
        born = body.birth_date
        values["birth_date"] = born
        changes["birth_date"] = born.isoformat()
        previous["birth_date"] = birth_date_text(
            subject["birth_date"], subject["birth_date_precision"]
        )
    elif body.reason.value == "wrong_sex":
        if body.sex is None or body.sex == sex:
            raise IneligibleError("wrong_sex needs the other sex in 'sex'.")
        sex = body.sex
        values["sex"] = sex
        changes["sex"], previous["sex"] = sex.value, subject["sex"]
    else:
        code = body.birth_registration_province
        if code is None or code == province:
            raise IneligibleError("wrong_registration_place needs another province code.")
        changes["birth_registration_province"] = _province(code)
        previous["birth_registration_province"] = {
            "code": province,
            "name": PROVINCES.get(province),
        }
        province = values["birth_registration_province_code"] = code
    new_id = new_personal_id(connection, province, sex, born)
    repo.withdraw_personal_id(
        connection,
        {
            "citizen_id": subject["id"],
            "previous_personal_id": subject["personal_id"],
            "replaced_on": body.corrected_on,
            "reason": body.reason,
        },
    )
    repo.update_citizen(connection, subject["id"], {**values, "personal_id": new_id})
    # Consents follow the citizen to the new number.
    connection.execute(
        update(Consent)
        .where(Consent.personal_id == subject["personal_id"])
        .values(personal_id=new_id)
    )
    changes["personal_id"], previous["personal_id"] = new_id, subject["personal_id"]
    moved = {**subject, "personal_id": new_id}
    detail = {"reason": body.reason.value}
    return [event(EventType.ID_CORRECTION, moved, body.corrected_on, changes, previous, detail)]
