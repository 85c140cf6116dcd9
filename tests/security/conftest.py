"""Fixtures of the security tests: apps with their own settings, Redis (tests/limits)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from tests.limits.conftest import redis_prefix, redis_url

__all__ = ["redis_prefix", "redis_url"]


@pytest.fixture
def make_app(settings: Settings) -> Iterator[Callable[..., FastAPI]]:
    """An app with the session's database and ``overrides`` of its settings (committing)."""
    apps: list[FastAPI] = []

    def build(**overrides: Any) -> FastAPI:
        application = create_app(settings.model_copy(update=overrides))
        apps.append(application)
        return application

    yield build
    for application in apps:
        application.state.database.dispose()


@asynccontextmanager
async def client_of(
    application: FastAPI, address: str = "192.0.2.10"
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``application`` calling from ``address``."""
    transport = httpx.ASGITransport(app=application, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as client:
        yield client
