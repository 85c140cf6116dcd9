"""How every connector talks to the registry: credentials, retries, request ids, the call log.

- **Credentials**: an API key (``X-API-Key``) or OAuth2 client credentials (the
  agency code and an API key exchanged at ``POST /oauth/token`` for a bearer JWT,
  renewed before it expires and once on a 401).
- **Retries**: 429, 502, 503, 504 and connection errors are retried with
  exponential backoff and full jitter, waiting at least what ``Retry-After`` asks.
  A POST is retried only when it is safe: it carries an ``Idempotency-Key`` or is
  a read in POST form (verification).
- **Request ids**: every call sends a fresh ``X-Request-ID``; retries reuse it, so
  the registry's audit log and the call log can be matched.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import httpx

from connectors.calls import Call, CallLog, problem_code

RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Credentials:
    agency: str  # the agency code (OAuth2 client_id)
    api_key: str
    mode: Literal["api_key", "oauth2"] = "api_key"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5  # in all, the first included
    base_seconds: float = 0.2
    max_seconds: float = 10.0

    def delay(self, failures: int, retry_after: float | None, rng: random.Random) -> float:
        """Full jitter on an exponential ceiling, but never less than ``Retry-After``."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(failures - 1, 0))
        wait = rng.uniform(0, ceiling)
        return max(wait, retry_after or 0.0)


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds: a number of seconds or an HTTP date (RFC 9110)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


class RegistryClient:
    """One agency's authenticated, retrying, logging view of the registry API."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        credentials: Credentials,
        *,
        connector: str,
        log: CallLog | None = None,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
        sleep: Any = asyncio.sleep,
    ) -> None:
        self.http = http
        self.credentials = credentials
        self.connector = connector
        self.log = log if log is not None else CallLog()
        self.retry = retry or RetryPolicy()
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self._sleep = sleep
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()

    async def request(
        self,
        method: str,
        path: str,
        *,
        task: str,
        purpose: str | None = None,
        route: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        idempotency_key: str | None = None,
        safe: bool | None = None,
    ) -> httpx.Response | None:
        """Send, retrying what may be retried; log the call. None when no answer came."""
        request_id = uuid.uuid4().hex
        sent_headers = {"X-Request-ID": request_id, **(headers or {})}
        if purpose:
            sent_headers["X-Purpose"] = purpose
        if idempotency_key:
            sent_headers["Idempotency-Key"] = idempotency_key
        retryable = safe if safe is not None else (method == "GET" or idempotency_key is not None)
        started, clock = time.time(), time.perf_counter()
        response: httpx.Response | None = None
        attempts = 0
        refreshed = False
        while True:
            attempts += 1
            try:
                auth = await self._auth_headers()
                response = await self.http.request(
                    method,
                    path,
                    json=json,
                    params=params,
                    content=content,
                    headers={**sent_headers, **auth},
                )
            except httpx.TransportError:
                response = None
            unauthorised = response is not None and response.status_code == 401
            if unauthorised and self.credentials.mode == "oauth2" and not refreshed:
                refreshed = True  # an expired or revoked token: fetch one, once more
                self._token = None
                attempts -= 1
                continue
            failed = response is None or response.status_code in RETRY_STATUSES
            if not failed or not retryable or attempts >= self.retry.attempts:
                break
            wait = self.retry.delay(
                attempts, retry_after(response) if response is not None else None, self.rng
            )
            await self._sleep(wait)
        self.log.add(
            Call(
                at=started,
                connector=self.connector,
                agency=self.credentials.agency,
                task=task,
                purpose=purpose,
                method=method,
                path=route or path,
                status=None if response is None else response.status_code,
                code=problem_code(response),
                attempts=attempts,
                seconds=time.perf_counter() - clock,
                request_id=request_id,
            )
        )
        return response

    async def _auth_headers(self) -> dict[str, str]:
        if self.credentials.mode == "api_key":
            return {"X-API-Key": self.credentials.api_key}
        async with self._token_lock:
            if self._token is None or time.time() > self._token_expires - 30:
                await self._fetch_token()
        return {"Authorization": f"Bearer {self._token}"}

    async def _fetch_token(self) -> None:
        response = await self.http.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.credentials.agency,
                "client_secret": self.credentials.api_key,
            },
        )
        response.raise_for_status()
        body = response.json()
        self._token = str(body["access_token"])
        self._token_expires = time.time() + float(body.get("expires_in", 300))
