"""Row statuses from verification outcomes: corrections, legacy address units."""

from app.auth.principal import PurposePolicy
from app.cleaning import processing
from app.cleaning.processing import JobContext, row_result
from app.identity.verification import Outcome
from app.models.enums import CitizenField as F
from app.models.enums import Operation

POLICY = PurposePolicy("benefit_records", frozenset({Operation.CLEAN, Operation.LOOKUP}), tuple(F))
JOB = JobContext(
    "j",
    "social-insurance-demo",
    "benefit_records",
    (F.FULL_NAME, F.PERMANENT_ADDRESS),
    (F.PERSONAL_ID, F.FULL_NAME, F.PERMANENT_ADDRESS),
    POLICY,
)
LEGACY = "Bản Phiêng Luông, Xã Bao La, Huyện Mai Châu, Tỉnh Hòa Bình"
MODERN = "Bản Phiêng Luông, Xã Bao La, Tỉnh Phú Thọ"


def exact() -> dict[str, object]:
    return {"verdict": "match", "reason": "exact", "score": 100}


def outcome() -> Outcome:
    fields = {"personal_id": exact(), "full_name": exact(), "permanent_address": exact()}
    return Outcome("match", None, fields, "017214370024")


def test_an_address_in_the_old_units_comes_back_in_the_2025_units() -> None:
    registry = {"017214370024": {"permanent_address": MODERN, "full_name": "A"}}
    result = row_result(1, {"permanent_address": LEGACY}, outcome(), JOB, registry)
    assert result["status"] == "corrected"
    assert result["fields"]["permanent_address"]["reason"] == "legacy_units"
    assert result["corrections"] == {"permanent_address": MODERN}


def test_an_address_already_in_the_2025_units_is_clean() -> None:
    registry = {"017214370024": {"permanent_address": MODERN}}
    result = row_result(1, {"permanent_address": f"  {MODERN} "}, outcome(), JOB, registry)
    assert result["status"] == "clean"
    assert "corrections" not in result


def test_no_2025_address_on_record_changes_nothing() -> None:
    registry = {"017214370024": {"permanent_address": None}}
    result = row_result(1, {"permanent_address": LEGACY}, outcome(), JOB, registry)
    assert result["status"] == "clean"


def test_a_purpose_that_cannot_read_gets_no_correction_and_a_mismatch() -> None:
    differs = outcome()
    differs.fields["full_name"] = {"verdict": "mismatch", "reason": "different", "score": 20}
    result = row_result(1, {"full_name": "B"}, differs, JOB, {})  # no registry values: no reading
    assert result["status"] == "mismatch"
    assert "corrections" not in result


def test_input_chunks_read_back_in_either_stored_form() -> None:
    rows = [(1, {"personal_id": "079085000103", "full_name": "Trần Minh Khôi"}, None), (2, {}, "x")]
    expected = [
        [1, {"personal_id": "079085000103", "full_name": "Trần Minh Khôi"}, None],
        [2, {}, "x"],
    ]
    assert processing.decode(processing.encode_rows(rows)) == expected
    # Chunks stored before input went into one JSON array: a JSON line per row.
    assert processing.decode(processing.encode(rows)) == expected
    assert processing.decode(processing.encode([])) == []
