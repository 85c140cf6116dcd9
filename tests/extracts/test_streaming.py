"""Rows stream from the database one stored chunk at a time: memory stays flat."""

import asyncio
import tracemalloc
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.extracts.worker import ExtractWorker
from app.main import create_app
from tests.conftest import Registry
from tests.extracts.conftest import BULK, BULK_WARD, Town, headers, start

pytestmark = pytest.mark.anyio


async def stream(app: FastAPI, path: str, query: str, auth: dict[str, str]) -> tuple[int, int]:
    """GET ``path`` straight through the ASGI app, counting the body and keeping none of it."""
    status, size = 0, 0
    asked = False
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await never.wait()  # the client stays connected
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, size
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            size += len(message.get("body", b""))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in auth.items()],
        "server": ("popreg.test", 80),
        "client": ("127.0.0.1", 50000),
    }
    await app(scope, receive, send)
    return status, size


async def peak_while_streaming(
    app: FastAPI, job_id: str, output: str, auth: dict[str, str]
) -> tuple[int, int]:
    """The body's size and the most memory allocated while streaming it."""
    path = f"/v1/extracts/{job_id}/data"
    await stream(app, path, f"format={output}", auth)  # warm: first-call allocations
    tracemalloc.start()
    try:
        status, size = await stream(app, path, f"format={output}", auth)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 200
    return size, peak


@pytest.mark.parametrize("output", ["ndjson", "csv"])
async def test_streaming_holds_about_one_chunk_in_memory_whatever_the_size(
    registry: Registry, town: Town, settings: Settings, output: str
) -> None:
    auth = headers(registry)
    app = create_app(settings.model_copy(update={"extract_chunk_rows": 50, "access_log": False}))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            small = (await start(client, auth, ward=BULK_WARD, limit=BULK // 5)).json()
            large = (await start(client, auth, ward=BULK_WARD)).json()
        assert large["rows_total"] == BULK
        worker = ExtractWorker(app.state.database)
        while worker.run_once():
            pass
        small_size, small_peak = await peak_while_streaming(app, small["id"], output, auth)
        large_size, large_peak = await peak_while_streaming(app, large["id"], output, auth)
    finally:
        app.state.database.dispose()
    assert large_size > 1_000_000 if output == "csv" else large_size > 1_500_000
    assert large_size > 4.5 * small_size
    # Five times the rows, about the same memory: one chunk (50 rows) at a time, not the body.
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)
    assert large_peak < large_size / 2, (large_peak, large_size)
