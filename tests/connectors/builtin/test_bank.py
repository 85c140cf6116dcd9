"""The bank: a customer's death read from the change feed freezes their account."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.agencies.keys import demo_api_key
from app.models import Sex
from connectors import CallLog, make_connector
from connectors.builtin.bank import BankConnector
from tests.connectors.live import Live, Town

pytestmark = pytest.mark.anyio
CIVIL = {"X-API-Key": demo_api_key("civil-registry-demo").secret, "X-Purpose": "civil_status"}


async def test_the_account_of_a_customer_who_died_is_frozen(live: Live, town: Town) -> None:
    year = datetime.now(UTC).year
    customer = town.add(Sex.MALE, date(year - 50, 4, 4), full_name="Đỗ Văn Hậu")
    other = town.add(Sex.FEMALE, date(year - 40, 5, 5), full_name="Đỗ Thị Hoa")
    bank = make_connector(BankConnector, live.http, log=CallLog(), seed=2)
    assert isinstance(bank, BankConnector)
    bank.people = [town.records[customer], town.records[other]]
    await bank.follow_deaths()  # from now on
    assert bank.frozen == set()

    died = await live.http.post(
        "/v1/civil/deaths",
        json={"personal_id": customer, "death_date": datetime.now(UTC).date().isoformat()},
        headers=CIVIL,
    )
    assert died.status_code == 201, died.text
    await bank.follow_deaths()

    assert bank.frozen == {customer}
    assert [(c.task, c.status) for c in bank.registry.log] == [("follow_deaths", 200)] * 2
