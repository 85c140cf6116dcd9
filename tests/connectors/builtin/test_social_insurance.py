"""Social insurance: old CMNDs matched to personal IDs in bulk and one by one."""

from __future__ import annotations

import pytest

from connectors import CallLog, make_connector
from connectors.builtin.social_insurance import SocialInsuranceConnector, settle
from tests.conftest import Registry
from tests.connectors.live import Live, Town, confined

pytestmark = pytest.mark.anyio


async def opened(live: Live) -> SocialInsuranceConnector:
    insurer = make_connector(confined(SocialInsuranceConnector), live.http, log=CallLog(), seed=8)
    assert isinstance(insurer, SocialInsuranceConnector)
    await insurer.setup()
    return insurer


async def test_the_book_holds_members_by_their_old_cmnd(live: Live, town: Town) -> None:
    insurer = await opened(live)

    holders = {cmnd: pid for pid, cmnd in town.legacy_ids.items()}
    assert len(insurer.book) == len(insurer.people)  # every town citizen has a CMND
    assert {entry["id_number"] for entry in insurer.book} <= set(holders)
    assert all(entry["sex"] in ("Nam", "Nữ") for entry in insurer.book)
    assert all("/" in entry["birth_date"] for entry in insurer.book)  # as the old system wrote it


async def test_matching_the_book_turns_every_cmnd_into_its_personal_id(
    live: Live, town: Town
) -> None:
    insurer = await opened(live)

    await insurer.match_book()

    holders = {cmnd: pid for pid, cmnd in town.legacy_ids.items()}
    expected = {entry["so_bhxh"]: holders[entry["id_number"]] for entry in insurer.book}
    assert insurer.matched == expected
    assert insurer.unmatched == insurer.ambiguous == set()
    [upload] = [c for c in insurer.registry.log if c.path == "/v1/cleaning/jobs"]
    [record] = await live.audit(request_id=upload.request_id)
    assert (record["operation"], record["detail"]["sector"]) == ("clean_job", "social_insurance")


async def test_a_counter_lookup_by_cmnd_finds_the_member(live: Live, town: Town) -> None:
    insurer = await opened(live)
    insurer.mistyped = 0
    insurer.book = insurer.book[:1]

    await insurer.lookup_legacy()

    [entry] = insurer.book
    holders = {cmnd: pid for pid, cmnd in town.legacy_ids.items()}
    assert insurer.matched == {entry["so_bhxh"]: holders[entry["id_number"]]}


async def test_a_cmnd_issued_twice_is_settled_by_the_birth_date(
    live: Live, registry: Registry
) -> None:
    insurer = await opened(live)
    insurer.mistyped = 0
    insurer.book = [
        {
            "so_bhxh": "7900000001",
            "id_number": registry.shared_legacy_id,
            "full_name": "Phạm Thị Thu Hà",
            "birth_date": "24/12/1987",
            "sex": "Nữ",
            "address": "",
        }
    ]

    await insurer.lookup_legacy()

    assert insurer.matched == {"7900000001": registry.spouse}


def test_the_member_is_the_holder_born_on_the_books_birth_date() -> None:
    entry = {"birth_date": "02/09/1985"}
    member = {"personal_id": "B", "birth_date": "1985-09-02"}
    someone_else = {"personal_id": "A", "birth_date": "1990-01-01"}
    assert settle(entry, [member]) == "B"
    assert settle(entry, [someone_else, member]) == "B"  # a CMND issued twice
    assert settle(entry, [someone_else]) is None  # a mistyped CMND: another person's
    assert settle(entry, [member, {**member, "personal_id": "C"}]) is None
    assert settle(entry, []) is None
