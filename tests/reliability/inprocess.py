"""The app served in-process to `requests` sessions, as schemathesis sends cases.

One event loop (an anyio portal thread) runs the app's lifespan for the whole run
and every request, so the app's workers, writers and caches live as long as in a
server. (schemathesis's own ASGI client restarts the lifespan after every test.)
Each session is a client of its own address, which is what the app's per-address
throttles see.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import httpx
import requests
import requests.adapters
import urllib3
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

DEFAULT_TIMEOUT = 30.0  # seconds a request may take when the caller names no timeout


class InProcessAdapter(requests.adapters.HTTPAdapter):
    """Hands each request to the app through httpx's ASGI transport, on the portal's loop."""

    def __init__(self, portal: BlockingPortal, client: httpx.AsyncClient) -> None:
        super().__init__()
        self.portal, self.client = portal, client

    def send(
        self, request: requests.PreparedRequest, *args: Any, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        seconds = (timeout[1] if isinstance(timeout, tuple) else timeout) or DEFAULT_TIMEOUT
        try:
            answer = self.portal.call(self._send, request, seconds)
        except TimeoutError:
            raise requests.exceptions.ReadTimeout(f"no answer within {seconds} s") from None
        headers = urllib3.HTTPHeaderDict()
        for name, value in answer.headers.multi_items():
            headers.add(name, value)
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(answer.content),
            headers=headers,
            status=answer.status_code,
            reason=answer.reason_phrase,
            version=11,
            preload_content=False,
        )
        return self.build_response(request, raw)

    async def _send(self, request: requests.PreparedRequest, seconds: float) -> httpx.Response:
        body = request.body  # schemathesis sends text or bytes
        content = body.encode() if isinstance(body, str) else body
        with anyio.fail_after(seconds):
            return await self.client.request(
                request.method or "GET",
                request.url or "/",
                headers={name: str(value) for name, value in request.headers.items()},
                content=content if isinstance(content, bytes) else None,
            )


class InProcessServer:
    def __init__(self, app: FastAPI, portal: BlockingPortal, base_url: str) -> None:
        self.app, self.portal, self.base_url = app, portal, base_url
        self._sessions: dict[str, requests.Session] = {}
        self._clients: list[httpx.AsyncClient] = []

    def session(self, address: str) -> requests.Session:
        """A `requests` session whose requests come from ``address``."""
        if address not in self._sessions:
            transport = httpx.ASGITransport(
                app=self.app, raise_app_exceptions=False, client=(address, 50_000)
            )
            client = httpx.AsyncClient(transport=transport, base_url=self.base_url)
            session = requests.Session()
            session.mount("http://", InProcessAdapter(self.portal, client))
            self._clients.append(client)
            self._sessions[address] = session
        return self._sessions[address]

    def close(self) -> None:
        for session in self._sessions.values():
            session.close()
        for client in self._clients:
            self.portal.call(client.aclose)


@contextmanager
def serve(app: FastAPI, base_url: str) -> Iterator[InProcessServer]:
    """``app`` with its lifespan running, reachable through sessions of any address."""
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(app.router.lifespan_context(app)),
    ):
        server = InProcessServer(app, portal, base_url)
        try:
            yield server
        finally:
            server.close()
