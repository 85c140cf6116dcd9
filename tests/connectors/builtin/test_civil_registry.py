"""The civil registry: births to plausible parents, deaths of the old, all within the rules."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from app.agencies.keys import demo_api_key
from connectors import CallLog, make_connector
from connectors.builtin.civil_registry import CivilRegistryConnector
from tests.connectors.live import PROVINCE, Live, Town, confined
from tests.connectors.scripted import SAMPLE, ScriptedRegistry, connected

pytestmark = pytest.mark.anyio
CIVIL = {"X-API-Key": demo_api_key("civil-registry-demo").secret, "X-Purpose": "civil_status"}


async def read(live: Live, personal_id: str) -> dict[str, Any]:
    response = await live.http.get(f"/v1/citizens/{personal_id}", headers=CIVIL)
    assert response.status_code == 200, response.text
    citizen: dict[str, Any] = response.json()
    return citizen


async def test_births_and_deaths_are_recorded_as_the_rules_allow(live: Live, town: Town) -> None:
    registrar = make_connector(confined(CivilRegistryConnector), live.http, log=CallLog(), seed=3)
    assert isinstance(registrar, CivilRegistryConnector)
    await registrar.setup()

    for _ in range(3):
        await registrar.register_birth()
        await registrar.register_death()

    assert registrar.refused == {}
    assert len(registrar.births) == len(registrar.deaths) == 3
    for child in registrar.births:
        record = await read(live, child)
        assert record["birth_registration_province"]["code"] == PROVINCE
        mother = town.records[record["mother"]["personal_id"]]
        assert mother["sex"] == "female"
        father = record.get("father")
        assert (father or {}).get("personal_id") == mother["spouse_personal_id"]
        if father:
            assert record["full_name"].split()[0] == father["full_name"].split()[0]
    for personal_id in registrar.deaths:
        assert personal_id in town.elderly
        assert (await read(live, personal_id))["vital_status"] == "deceased"
    keys = [c.request_id for c in registrar.registry.log]
    assert len(set(keys)) == 6


async def test_mothers_are_women_of_childbearing_age_and_fathers_their_husbands() -> None:
    registry = ScriptedRegistry(seed=2)
    async with connected(CivilRegistryConnector, registry) as registrar:
        assert isinstance(registrar, CivilRegistryConnector)
        await registrar.setup()
        mothers = {m["personal_id"]: m for m in registrar.mothers}
        for _ in range(10):
            await registrar.register_birth()

    asked = [dict(r.url.params) for r in registry.samples]
    assert {"sex": "female", "min_age": "18", "max_age": "45"}.items() <= asked[0].items()
    assert asked[1]["min_age"] == "70"
    assert all(r.url.path == SAMPLE for r in registry.samples)
    births = [orjson.loads(r.content) for r in registry.requests()]
    assert len(births) == 10
    for birth in births:
        mother = mothers[birth["mother_personal_id"]]
        married = mother["marital_status"] == "married"
        assert birth["father_personal_id"] == (mother["spouse_personal_id"] if married else None)
        assert birth["birth_registration_province"] == mother["personal_id"][:3]
    assert len({b["mother_personal_id"] for b in births}) == 10  # nobody twice in one run
    keys = {r.headers["idempotency-key"] for r in registry.requests()}
    assert len(keys) == 10
