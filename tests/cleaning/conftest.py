"""Helpers for cleaning-job tests: upload through the API, then let a worker run."""

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from app.cleaning.worker import CleaningWorker


@pytest.fixture
def drain(app: FastAPI) -> Callable[[], int]:
    """Process every claimable chunk now (tests run no background workers); returns how many."""

    def run() -> int:
        worker = CleaningWorker(app.state.database)
        done = 0
        while worker.run_once():
            done += 1
        return done

    return run


async def upload(
    client: httpx.AsyncClient,
    key: str,
    body: bytes | str,
    *,
    sector: str = "telecom",
    purpose: str = "subscriber_verification",
    content_type: str = "text/csv",
    params: dict[str, str | list[str]] | None = None,
) -> httpx.Response:
    return await client.post(
        "/v1/cleaning/jobs",
        params={"sector": sector, **(params or {})},
        headers={"X-API-Key": key, "X-Purpose": purpose, "Content-Type": content_type},
        content=body.encode() if isinstance(body, str) else body,
    )
