"""The portal: only a verified applicant's form is prefilled."""

from __future__ import annotations

import httpx
import pytest

from connectors import CallLog, make_connector
from connectors.builtin.portal import PortalConnector
from tests.connectors.live import Live, Town
from tests.connectors.scripted import ScriptedRegistry, connected

pytestmark = pytest.mark.anyio


async def test_a_signed_in_applicant_gets_a_prefilled_form(live: Live, town: Town) -> None:
    portal = make_connector(PortalConnector, live.http, log=CallLog(), seed=1)
    assert isinstance(portal, PortalConnector)
    applicant = town.couples[1][1]
    portal.people = [town.records[applicant]]

    await portal.prefill_form()

    # Name, birth date, permanent address and phone are on record; no current address, email.
    assert portal.prefilled == {applicant: 4}
    [call] = portal.registry.log
    [record] = await live.audit(request_id=call.request_id)
    assert record["purpose"] == "public_service_application"


async def test_an_applicant_whose_details_do_not_match_gets_no_prefilled_form() -> None:
    def mismatch(request: httpx.Request, attempt: int) -> httpx.Response | None:
        if request.url.path != "/v1/identity/verify":
            return None
        return httpx.Response(200, json={"decision": "mismatch", "fields": {}})

    registry = ScriptedRegistry(fault=mismatch)
    async with connected(PortalConnector, registry) as portal:
        assert isinstance(portal, PortalConnector)
        await portal.setup()
        registry.failing = True
        await portal.apply_online()
        registry.failing = False
        await portal.apply_online()

    assert [c.path for c in portal.registry.log] == [
        "/v1/identity/verify",
        "/v1/identity/verify",
        "/v1/citizens/{personal_id}",
    ]
    assert portal.applications == {"rejected": 1, "prefilled": 1}
