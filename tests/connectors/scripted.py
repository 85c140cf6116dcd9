"""A scripted registry behind ``httpx.MockTransport``: plausible answers, faults on demand.

It answers the sandbox sample (citizens fitting the filters asked for), issues
OAuth2 tokens, and gives every other call a plausible success for its route
unless a *fault* script answers first. Every request is kept, grouped by its
``X-Request-ID``, so a test can count the attempts behind each logged call.
"""

from __future__ import annotations

import csv
import io
import itertools
import random
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import orjson

from app.agencies.keys import demo_api_key
from connectors import Connector, Credentials, RegistryClient

SAMPLE = "/v1/sandbox/citizens/sample"
TOKEN = "/oauth/token"
# POSTs that only read: the client may retry them without an Idempotency-Key.
SAFE_POSTS = frozenset({"/v1/identity/verify", "/v1/identity/verify/batch"})
STATUSES = ("clean", "mismatch", "not_found", "deceased", "corrected", "invalid")

# A fault script: (request, attempt number for its request id) → an answer, an
# exception to raise (a transport error), or None for the normal answer.
Fault = Callable[[httpx.Request, int], httpx.Response | Exception | None]


def problem(status: int, code: str, **headers: str) -> httpx.Response:
    body = {"type": "about:blank", "title": code, "status": status, "code": code}
    return httpx.Response(
        status, json=body, headers={"Content-Type": "application/problem+json", **headers}
    )


def must_retry(request: httpx.Request) -> bool:
    """A read, or a write made safe by its Idempotency-Key: retried after a transient failure."""
    return request.method == "GET" or "idempotency-key" in request.headers


def must_not_retry(request: httpx.Request) -> bool:
    """A POST that could do its work twice: sent once, whatever comes back."""
    return (
        request.method == "POST"
        and "idempotency-key" not in request.headers
        and request.url.path not in SAFE_POSTS
    )


@dataclass
class ScriptedRegistry:
    seed: int = 0
    fault: Fault | None = None
    failing: bool = False  # faults apply only once this is set (after the connector's setup)
    calls: dict[str, list[httpx.Request]] = field(default_factory=lambda: defaultdict(list))
    tokens: list[str] = field(default_factory=list)
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    samples: list[httpx.Request] = field(default_factory=list)
    jobs: dict[str, int] = field(default_factory=dict)  # job id → data rows uploaded
    job_state: str = "done"

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.serials = itertools.count(100)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == SAMPLE:
            self.samples.append(request)
            return httpx.Response(200, json={"citizens": self.sample(request)})
        if path == TOKEN:
            return self.token(request)
        request_id = request.headers.get("x-request-id", "")
        self.calls[request_id].append(request)
        if self.failing and self.fault is not None:
            answer = self.fault(request, len(self.calls[request_id]))
            if isinstance(answer, Exception):
                raise answer
            if answer is not None:
                return answer
        return self.success(request)

    # --- requests seen ---------------------------------------------------------------------

    def requests(self) -> list[httpx.Request]:
        return [r for attempts in self.calls.values() for r in attempts]

    # --- answers ---------------------------------------------------------------------------

    def token(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        self.token_requests.append(form)
        token = f"token-{len(self.tokens) + 1}"
        self.tokens.append(token)
        return httpx.Response(
            200, json={"access_token": token, "token_type": "Bearer", "expires_in": 900}
        )

    def sample(self, request: httpx.Request) -> list[dict[str, Any]]:
        params = request.url.params
        count = min(int(params.get("count", "20")), 30)
        low = int(params.get("min_age", "18"))
        high = int(params.get("max_age", str(max(low, 18) + 50)))
        sex = params.get("sex")
        return [self.citizen(sex, self.rng.randint(low, high)) for _ in range(count)]

    def citizen(self, sex: str | None, age: int) -> dict[str, Any]:
        sex = sex or self.rng.choice(["male", "female"])
        born = date.today() - timedelta(days=365 * age + self.rng.randint(30, 300))
        married = 20 <= age < 70 and self.rng.random() < 0.6
        spouse_sex = "female" if sex == "male" else "male"
        return {
            "personal_id": self.personal_id(sex, born),
            "full_name": "Nguyễn Thị Mai" if sex == "female" else "Trần Văn Hùng",
            "sex": sex,
            "birth_date": born.isoformat(),
            "marital_status": "married" if married else "single",
            "spouse_personal_id": self.personal_id(spouse_sex, born) if married else None,
            "spouse_full_name": "Lê Văn Nam" if married and sex == "female" else None,
        }

    def personal_id(self, sex: str, born: date) -> str:
        digit = (born.year // 100 - 19) * 2 + (sex == "female")
        return f"079{digit}{born.year % 100:02d}{next(self.serials):06d}"

    def success(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        parts = path.strip("/").split("/")
        if method == "POST" and path in SAFE_POSTS:
            return httpx.Response(200, json=self.verification(request))
        if method == "POST" and path == "/v1/cleaning/jobs":
            job_id = f"job{len(self.jobs) + 1}"
            rows = list(csv.DictReader(io.StringIO(request.content.decode())))
            self.jobs[job_id] = len(rows)
            return httpx.Response(202, json={"id": job_id, "state": "queued"})
        if parts[:3] == ["v1", "cleaning", "jobs"] and len(parts) == 4:
            state = "cancelled" if method == "DELETE" else self.job_state
            return httpx.Response(200, json={"id": parts[3], "state": state})
        if parts[:3] == ["v1", "cleaning", "jobs"] and parts[-1] == "results":
            return httpx.Response(
                200,
                content=self.results(self.jobs.get(parts[3], 0)),
                headers={"Content-Type": "application/x-ndjson"},
            )
        if parts[:3] == ["v1", "citizens", "by-legacy-id"]:
            holder = self.document(f"079085{next(self.serials):06d}", legacy_id=parts[3])
            return httpx.Response(
                200, json={"legacy_id": parts[3], "ambiguous": False, "citizens": [holder]}
            )
        if parts[:2] == ["v1", "citizens"] and len(parts) == 3:
            return httpx.Response(200, json=self.document(parts[2]))
        if path == "/v1/events":
            return httpx.Response(200, json={"events": [], "next_cursor": "42", "has_more": False})
        if method == "POST" and parts[:2] == ["v1", "civil"]:
            event = {"id": 1, "cursor": "1", "type": parts[2], "personal_id": "079226000001"}
            return httpx.Response(201, json={"operation_id": "op_1", "events": [event]})
        return httpx.Response(200, json={})

    def verification(self, request: httpx.Request) -> dict[str, Any]:
        body = orjson.loads(request.content or b"{}")
        if request.url.path.endswith("/batch"):
            records = body.get("records", [])
            return {
                "results": [
                    {"index": n, "decision": "match", "fields": {}} for n in range(len(records))
                ],
                "summary": {"total": len(records)},
            }
        claims = body.get("claims", {})
        fields = {name: {"verdict": "match", "score": 100, "reason": "exact"} for name in claims}
        return {
            "personal_id": body.get("personal_id"),
            "decision": "match",
            "reason": None,
            "fields": fields,
            "fields_checked": len(fields) + 1,
        }

    def document(self, personal_id: str, *, legacy_id: str | None = None) -> dict[str, Any]:
        address = "Số 1 đường Lê Lợi, Phường Bến Nghé, Quận 1, TP Hồ Chí Minh"
        return {
            "personal_id": personal_id,
            "full_name": "Trần Văn Hùng",
            "birth_date": "1985-09-02",
            "sex": "male",
            "legacy_id": legacy_id or f"0{personal_id[-8:]}",
            "health_insurance_card": "DN4797912345678",
            "social_insurance_number": "7912345678",
            "permanent_address": {"address": address, "address_2025": address},
            "current_address": {"address": address, "address_2025": address},
            "vital_status": "alive",
            "phone": "0903123456",
            "blood_type": "O",
            "spouse": {"personal_id": "079187000104", "full_name": "Phạm Thị Thu Hà"},
        }

    def results(self, rows: int) -> bytes:
        lines = []
        for number in range(1, rows + 1):
            status = STATUSES[(number - 1) % len(STATUSES)]
            row: dict[str, Any] = {"row": number, "status": status}
            if status not in ("not_found", "invalid"):
                row["personal_id"] = f"079085{number:06d}"
            lines.append(orjson.dumps(row))
        return b"\n".join(lines) + b"\n"


@asynccontextmanager
async def connected(
    connector_class: type[Connector], registry: ScriptedRegistry, *, seed: int = 7
) -> AsyncIterator[Connector]:
    """The connector with its demo key, talking to ``registry``; waits are not slept."""

    async def no_wait(seconds: float) -> None:
        pass

    credentials = Credentials(connector_class.agency, demo_api_key(connector_class.agency).secret)
    async with httpx.AsyncClient(
        transport=registry.transport, base_url="http://popreg.test"
    ) as http:
        client = RegistryClient(
            http,
            credentials,
            connector=connector_class.name,
            rng=random.Random(seed),
            sleep=no_wait,
        )
        yield connector_class(client, rng=random.Random(seed))
