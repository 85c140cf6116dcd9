"""The town and the app in-process (see tests/connectors/live.py) for the built-in connectors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine

from app.config import Settings
from tests.conftest import Registry
from tests.connectors.live import Live, Town, serving, town_for


@pytest.fixture
def town(engine: Engine, registry: Registry) -> Town:
    return town_for(engine)


@pytest.fixture
async def live(settings: Settings, town: Town) -> AsyncIterator[Live]:
    async with serving(settings) as app:
        yield app
