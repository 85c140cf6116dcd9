"""The hospital: check-in reads the insurance card; an emergency lookup finds next of kin."""

from __future__ import annotations

import pytest

from connectors import CallLog, make_connector
from connectors.builtin.hospital import HospitalConnector
from tests.connectors.live import Live, Town

pytestmark = pytest.mark.anyio


async def test_check_in_reads_the_health_insurance_card(live: Live, town: Town) -> None:
    hospital = make_connector(HospitalConnector, live.http, log=CallLog(), seed=1)
    assert isinstance(hospital, HospitalConnector)
    hospital.people = [town.records[town.singles[0]]]

    await hospital.check_in()

    assert hospital.admissions == {"insured": 1}
    [call] = hospital.registry.log
    [record] = await live.audit(request_id=call.request_id)
    assert (record["purpose"], record["outcome"]) == ("patient_checkin", "disclosed")
    assert "health_insurance_card" in record["fields"]
    assert "blood_type" not in record["fields"]


async def test_an_emergency_lookup_finds_next_of_kin_and_is_audited_as_such(
    live: Live, town: Town
) -> None:
    husband, wife = town.couples[0]
    hospital = make_connector(HospitalConnector, live.http, log=CallLog(), seed=1)
    assert isinstance(hospital, HospitalConnector)
    hospital.people = [town.records[husband]]

    await hospital.emergency_lookup()

    assert hospital.next_of_kin == {husband: [wife]}
    [call] = hospital.registry.log
    assert (call.purpose, call.outcome) == ("emergency_care", "ok")
    [record] = await live.audit(request_id=call.request_id)
    assert (record["purpose"], record["personal_id"]) == ("emergency_care", husband)
    assert {"blood_type", "spouse", "phone"} <= set(record["fields"])
