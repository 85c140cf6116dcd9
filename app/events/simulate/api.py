"""The HTTP calls a simulation makes: check the key, sample citizens, record operations.

429 and 5xx answers and connection errors are retried with backoff, honouring
``Retry-After``, under the same ``Idempotency-Key``.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx

from app.events.simulate.options import SimulationOptions, Tally

PATHS = {
    "birth": "/v1/civil/births",
    "death": "/v1/civil/deaths",
    "residence_change": "/v1/civil/residence-changes",
    "marriage": "/v1/civil/marriages",
    "divorce": "/v1/civil/divorces",
    "name_change": "/v1/civil/name-changes",
    "card_reissue": "/v1/civil/card-reissues",
    "id_correction": "/v1/civil/id-corrections",
}
MAX_ATTEMPTS = 5
MAX_DELAY = 30.0  # seconds between attempts, at most
SAMPLE_PATH = "/v1/sandbox/citizens/sample"
TIMEOUT = httpx.Timeout(30.0, connect=5.0)


@dataclass(frozen=True, slots=True)
class Candidate:
    personal_id: str
    full_name: str
    sex: str
    birth_date: date
    marital_status: str
    spouse_personal_id: str | None
    spouse_full_name: str | None


class Aborted(Exception):
    """The server refuses the run itself (credentials, purpose, wrong URL)."""


class GaveUp(Exception):
    """Retries exhausted on 429, 5xx or connection errors."""


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), if the answer carries one."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return min(MAX_DELAY, max(0.0, float(value)))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(MAX_DELAY, max(0.0, (moment - datetime.now(UTC)).total_seconds()))


def problem(response: httpx.Response) -> tuple[str, str]:
    """The error code and detail of an answer (a problem body's, else from the status)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "code" in body:
        return str(body["code"]), str(body.get("detail") or "")
    return f"HTTP_{response.status_code}", response.text.strip()[:200]


class RegistryApi:
    """The calls a simulation makes, with retries; counts retries and samples in ``tally``."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        options: SimulationOptions,
        tally: Tally,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._client, self._options, self._tally, self._sleep = client, options, tally, sleep
        self._run_id = secrets.token_hex(4)
        self._sent = 0
        self._jitter = random.Random()  # noqa: S311 - backoff jitter

    async def check(self) -> None:
        """Fail fast: the server answers, knows the key, and its purpose may register."""
        headers = {"X-API-Key": self._options.api_key}
        try:
            response = await self._request("GET", "/v1/agencies/me", headers=headers)
        except GaveUp as error:
            raise Aborted(f"No answer from {self._client.base_url} ({error}).") from None
        if response.status_code != 200:
            code, detail = problem(response)
            raise Aborted(f"{code} (HTTP {response.status_code}) for the API key: {detail}")
        purposes = {p["code"]: p["operations"] for p in response.json().get("purposes", [])}
        if "register" not in purposes.get(self._options.purpose, []):
            raise Aborted(
                f"Purpose {self._options.purpose!r} of this key does not allow registering "
                f"life events (purposes: {', '.join(purposes) or 'none'}); use a civil "
                "registry's key, e.g. the demo one (popreg agency demo)."
            )

    async def sample(self, filters: dict[str, Any]) -> list[Candidate]:
        params = dict(filters)
        if self._options.province is not None:
            params["province"] = self._options.province
        headers = {"Authorization": f"Bearer {self._options.admin_token}"}
        response = await self._request("GET", SAMPLE_PATH, params=params, headers=headers)
        self._tally.samples += 1
        if response.status_code != 200:
            code, detail = problem(response)
            raise Aborted(f"{code} (HTTP {response.status_code}) sampling citizens: {detail}")
        return [
            Candidate(
                personal_id=row["personal_id"],
                full_name=row["full_name"],
                sex=row["sex"],
                birth_date=date.fromisoformat(row["birth_date"]),
                marital_status=row["marital_status"],
                spouse_personal_id=row["spouse_personal_id"],
                spouse_full_name=row.get("spouse_full_name"),
            )
            for row in response.json()["citizens"]
        ]

    async def record(self, kind: str, body: dict[str, Any]) -> httpx.Response:
        self._sent += 1
        headers = {
            "X-API-Key": self._options.api_key,
            "X-Purpose": self._options.purpose,
            "Idempotency-Key": f"sim-{self._run_id}-{self._sent:07d}",
        }
        return await self._request("POST", PATHS[kind], json=body, headers=headers)

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(MAX_ATTEMPTS):
            last = attempt == MAX_ATTEMPTS - 1
            try:
                response = await self._client.request(method, path, **kwargs)
            except httpx.TransportError as error:
                if last:
                    raise GaveUp(type(error).__name__) from error
                delay = None
            else:
                if response.status_code != 429 and response.status_code < 500:
                    return response
                if last:
                    code, _ = problem(response)
                    raise GaveUp(code)
                delay = retry_after(response)
            if delay is None:
                delay = min(MAX_DELAY, 0.5 * 2**attempt) * (0.5 + self._jitter.random() / 2)
            self._tally.retries += 1
            await self._sleep(delay)
        raise AssertionError("unreachable")
