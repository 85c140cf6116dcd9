"""Kind rules and the holder check, without a database."""

from datetime import date
from typing import Any

import pytest

from app.models.records import RecordKind
from app.records.errors import HolderMismatchError, InvalidRecordError
from app.records.kinds import SPECS
from app.records.schemas import RecordWrite
from app.records.validation import changed_fields, check_holder, checked_record

HOLDER = {"full_name": "Hoàng Thị Lan", "birth_date": "1935"}
CITIZEN = {
    "full_name": "Hoàng Thị Lan",
    "birth_date": date(1935, 1, 1),
    "birth_date_precision": "year",
}
GOOD: dict[RecordKind, tuple[str, dict[str, Any]]] = {
    RecordKind.HEALTH_INSURANCE: ("HT3010123456789", {"registered_facility": "Trạm Y tế Xã A"}),
    RecordKind.SOCIAL_INSURANCE: (
        "0112345678",
        {"participation": "compulsory", "employer": "Công ty TNHH B", "contribution_months": 96},
    ),
    RecordKind.DRIVING_LICENCE: ("010123456789", {"classes": ["B", "A1"], "issued_by": "Sở GTVT"}),
    RecordKind.VEHICLE_REGISTRATION: (
        "012345",
        {"plate": "29-B1 123.45", "vehicle_type": "motorbike", "make": "Honda"},
    ),
    RecordKind.TAX_REGISTRATION: ("8012345678-001", {"tax_office": "Chi cục Thuế khu vực I"}),
    RecordKind.VACCINATION: (
        "vx-001-2021-0000001",
        {"vaccine": "Vaxzevria", "disease": "COVID-19", "dose": 2, "facility": "Trạm Y tế"},
    ),
}


def write(number: str, data: dict[str, Any], **changes: Any) -> RecordWrite:
    return RecordWrite.model_validate({"holder": HOLDER, "number": number, "data": data, **changes})


def test_every_kind_has_a_good_example() -> None:
    assert set(GOOD) == set(SPECS)


@pytest.mark.parametrize("kind", list(RecordKind))
def test_a_good_record_of_each_kind_is_accepted(kind: RecordKind) -> None:
    number, data = GOOD[kind]
    record = checked_record(kind, write(number, data))
    assert record.number == number.upper()
    assert record.key == (record.number if SPECS[kind].multi else "")


@pytest.mark.parametrize("kind", list(RecordKind))
def test_the_example_number_of_each_kind_is_in_its_format(kind: RecordKind) -> None:
    assert SPECS[kind].number_pattern.fullmatch(SPECS[kind].number_example)


@pytest.mark.parametrize(
    ("plate", "good"),
    [
        ("30A-123.45", True),
        ("30A-1234", True),
        ("51LD-123.45", True),
        ("29-B1 123.45", True),
        ("59-X3 1234", True),
        (" 29-b1 123.45 ", True),
        ("30A12345", False),
        ("00A-123.45", False),
        ("29-B1-123.45", False),
    ],
)
def test_plates(plate: str, good: bool) -> None:
    data = {**GOOD[RecordKind.VEHICLE_REGISTRATION][1], "plate": plate}
    if good:
        record = checked_record(RecordKind.VEHICLE_REGISTRATION, write("012345", data))
        assert record.data["plate"] == plate.strip().upper()
    else:
        with pytest.raises(InvalidRecordError):
            checked_record(RecordKind.VEHICLE_REGISTRATION, write("012345", data))


def test_licence_classes_are_sorted_and_distinct() -> None:
    number, data = GOOD[RecordKind.DRIVING_LICENCE]
    record = checked_record(RecordKind.DRIVING_LICENCE, write(number, data))
    assert record.data["classes"] == ["A1", "B"]
    with pytest.raises(InvalidRecordError) as twice:
        checked_record(RecordKind.DRIVING_LICENCE, write(number, {**data, "classes": ["B", "B"]}))
    assert twice.value.errors[0]["field"] == "data.classes"


def test_health_insurance_cards_are_15_characters() -> None:
    _, data = GOOD[RecordKind.HEALTH_INSURANCE]
    with pytest.raises(InvalidRecordError) as short:
        checked_record(RecordKind.HEALTH_INSURANCE, write("HT301012345678", data))
    assert short.value.errors[0]["field"] == "number"


def test_holder_with_a_year_only_birth_date() -> None:
    check_holder(
        RecordWrite.model_validate(
            {
                "holder": {"full_name": "HOANG THI LAN", "birth_date": "1935"},
                "number": "x",
                "data": {},
            }
        ).holder,
        CITIZEN,
    )
    with pytest.raises(HolderMismatchError):
        check_holder(
            RecordWrite.model_validate(
                {
                    "holder": {"full_name": "Hoàng Thị Lan", "birth_date": "1936"},
                    "number": "x",
                    "data": {},
                }
            ).holder,
            CITIZEN,
        )


def test_a_birth_date_that_is_no_date_is_an_invalid_record() -> None:
    holder = RecordWrite.model_validate(
        {"holder": {"full_name": "Hoàng Thị Lan", "birth_date": "soon"}, "number": "x", "data": {}}
    ).holder
    with pytest.raises(InvalidRecordError):
        check_holder(holder, CITIZEN)


def test_changed_fields_name_the_data_keys() -> None:
    before = {"number": "1", "status": "valid", "valid_from": None, "valid_until": None,
              "data": {"a": 1, "b": 2}}  # fmt: skip
    after = {**before, "status": "expired", "data": {"a": 1, "c": 3}}
    assert changed_fields(before, after) == ["status", "data.b", "data.c"]
    assert changed_fields(None, after) == ["number", "status", "valid_from", "valid_until", "data"]
