"""The app the contract fuzzer runs against: a seeded registry, credentials, real resources.

Everything the fuzzer needs is made through the API, as a client would: an agency
whose one purpose allows every operation and field (its API key, a spare key to
revoke, cleaning jobs, subscriptions, extracts), a target agency for the admin
routes to change (never the fuzzer's own), a citizen token with a consent to
withdraw, and a fault rule that matches nothing, to delete.
"""

from __future__ import annotations

import base64
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict
from schemathesis import Case, Response
from schemathesis.core.parameters import ParameterLocation
from sqlalchemy import create_engine, select

from app.config import DEFAULT_ADMIN_TOKEN, DEFAULT_CITIZEN_CODE
from app.models import Citizen
from app.models.enums import CitizenField, Operation, Sector
from tests.reliability.inprocess import InProcessServer

BASE_URL = "http://popreg.test"
AGENCY = "contract-fuzz"
PURPOSE = "contract_fuzz"
TARGET = "contract-target"  # the agency admin routes may change, revoke and strip
TARGET_PURPOSES = ["target_lookup", "target_verify"]
PERSONAS = 38  # seed.personas: citizens 1…38, present in every seeded registry
ADMIN = {"Authorization": f"Bearer {DEFAULT_ADMIN_TOKEN}"}
# A long poll answers at once when an event is new and otherwise holds the request for
# `wait` seconds: one second exercises the waiting path without stalling the run.
LONG_POLL_SECONDS = 1
VARIANTS = ("anonymous", "credentials")


def _purpose(description: str, operations: list[Operation]) -> dict[str, Any]:
    return {
        "description": description,
        "operations": [op.value for op in operations],
        "fields": [f.value for f in CitizenField],
        "legal_basis": "Contract fuzzing (synthetic data)",
    }


def _substitute(known: Mapping[str, list[Any] | None], generated: dict[str, Any]) -> None:
    """Give half the generated parameter sets real values, in place.

    The choice is a fixed function of the generated set, so Hypothesis replays a case
    exactly, and a set's parameters change together (a real agency *and* its key).
    """
    digest = zlib.crc32(repr(sorted(generated.items(), key=lambda item: item[0])).encode())
    if digest % 2:
        return
    for name, values in known.items():
        if values and name in generated:
            generated[name] = values[(digest >> 1) % len(values)]


@dataclass
class Coverage:
    """What the fuzzer sent per operation and credential variant, and what came back."""

    statuses: dict[tuple[str, str], Counter[int]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    started: float = field(default_factory=time.perf_counter)

    def record(self, label: str, variant: str, status: int) -> None:
        self.statuses[label, variant][status] += 1

    def as_markdown(self, labels: list[str], title: str) -> str:
        requests_sent = sum(sum(counter.values()) for counter in self.statuses.values())
        reached = sum(
            any(200 <= status < 300 for status in self.statuses[label, "credentials"])
            for label in labels
        )
        lines = [
            f"### {title}",
            "",
            f"{len(labels)} operations, {requests_sent} requests in "
            f"{time.perf_counter() - self.started:.0f} s; {reached} operations answered "
            "2xx at least once with credentials.",
            "",
            "| Operation | Without credentials | With credentials |",
            "|---|---|---|",
        ]
        for label in labels:
            cells = [
                " ".join(f"{s}×{n}" for s, n in sorted(self.statuses[label, variant].items()))
                or "—"
                for variant in VARIANTS
            ]
            lines.append(f"| `{label}` | {cells[0]} | {cells[1]} |")
        return "\n".join(lines) + "\n"


@dataclass
class ContractTarget:
    """The running app, the credentials per operation and the resources that exist."""

    server: InProcessServer
    document: Mapping[str, Any]
    agency_key: str = ""
    citizen_token: str = ""
    kept: dict[str, list[Any]] = field(default_factory=dict)  # path values to read
    disposable: dict[str, list[Any]] = field(default_factory=dict)  # path values to delete
    fields: dict[str, list[Any]] = field(default_factory=dict)  # query and body values
    login: dict[str, list[Any]] = field(default_factory=dict)  # citizen sign-in fields
    coverage: Coverage = field(default_factory=Coverage)
    addresses: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def client(self) -> requests.Session:
        """The session set-up and clean-up calls come from."""
        return self.server.session("192.0.2.1")

    def session(self, case: Case[Any], variant: str) -> requests.Session:
        """Each operation and variant calls from an address of its own: the failures
        fuzzed for one operation (wrong sign-in codes) would otherwise lock the address
        out (429 ``TOO_MANY_FAILED_ATTEMPTS``) for every later operation and variant."""
        key = (case.operation.label, variant)
        if key not in self.addresses:
            n = len(self.addresses)
            self.addresses[key] = f"10.0.{n // 250}.{n % 250 + 1}"
        return self.server.session(self.addresses[key])

    def set_up(self, database_url: str) -> None:
        """Create the agencies, keys, jobs, subscriptions, extracts and consents used."""
        personas = _column(database_url, Citizen.personal_id, Citizen.death_date.is_(None))
        legacy_ids = _column(database_url, Citizen.legacy_id, Citizen.legacy_id.is_not(None))
        own = self._post(
            "/v1/admin/agencies",
            ADMIN,
            json={
                "code": AGENCY,
                "name": "Contract fuzzer",
                "sector": Sector.CIVIL_REGISTRY.value,
                "purposes": {PURPOSE: _purpose("Every operation", list(Operation))},
                "limits": {"rate_per_second": 100_000, "burst": 1_000_000},
            },
        )
        self.agency_key = own["api_key"]["api_key"]
        agency = {"X-API-Key": self.agency_key, "X-Purpose": PURPOSE}
        target = self._post(
            "/v1/admin/agencies",
            ADMIN,
            json={
                "code": TARGET,
                "name": "Contract fuzzer's target",
                "sector": Sector.BANK.value,
                "purposes": {
                    code: _purpose(code, [Operation.LOOKUP, Operation.VERIFY])
                    for code in TARGET_PURPOSES
                },
            },
        )
        login = self._post(
            "/v1/citizen/login",
            {},
            status=200,
            json={"personal_id": personas[0], "code": DEFAULT_CITIZEN_CODE},
        )
        self.citizen_token = login["access_token"]
        citizen = {"Authorization": f"Bearer {self.citizen_token}"}
        twice = {"job_id": self._jobs(agency, personas[0]), **self._feeds(agency)}
        self.kept = {
            "personal_id": personas,
            "legacy_id": legacy_ids,
            "code": [TARGET],
            "purpose": TARGET_PURPOSES,
            **{name: values[:1] for name, values in twice.items()},
        }
        self.disposable = {
            **{name: values[1:] for name, values in twice.items()},
            "/v1/agencies/me/keys/{prefix}": [
                self._post("/v1/agencies/me/keys", agency, json={"label": "spare"})["prefix"]
            ],
            "/v1/admin/agencies/{code}/keys/{prefix}": [
                self._post(f"/v1/admin/agencies/{TARGET}/keys", ADMIN, json={})["prefix"],
                target["api_key"]["prefix"],
            ],
            "consent_id": [
                self._post(
                    "/v1/me/consents",
                    citizen,
                    json={"agency": "phusa-bank", "purpose": "contact_update"},
                )["id"]
            ],
            "rule_id": [
                self._post(
                    "/v1/sandbox/faults",
                    ADMIN,
                    json={"route": "/contract-fuzz/none", "effect": {"kind": "latency", "ms": 0}},
                )["id"]
            ],
        }
        self.fields = {"purpose": [PURPOSE], "personal_id": personas}
        self.login = {"personal_id": personas, "code": [DEFAULT_CITIZEN_CODE]}

    def _jobs(self, agency: dict[str, str], personal_id: str) -> list[str]:
        """Two cleaning jobs: one to read, one to cancel."""
        upload = {**agency, "Content-Type": "text/csv"}
        rows = f"id_number,full_name,birth_date\n{personal_id},Nguyễn Văn Minh,1985-03-12\n"
        return [
            self._post("/v1/cleaning/jobs?sector=telecom", upload, status=202, data=rows)["id"]
            for _ in range(2)
        ]

    def _feeds(self, agency: dict[str, str]) -> dict[str, list[str]]:
        """Two subscriptions and, where the document has extracts, two extracts."""
        subscription = {
            "url": "https://receiver.invalid/popreg",
            "purpose": PURPOSE,
            "event_types": ["death", "birth"],
        }
        made = {
            "subscription_id": [
                self._post("/v1/subscriptions", agency, json=subscription)["id"] for _ in range(2)
            ]
        }
        if "/v1/extracts" in self.document["paths"]:
            extract = {"purpose": PURPOSE, "cohort": {"age_min": 90}}
            made["extract_id"] = [
                self._post("/v1/extracts", agency, status=202, json=extract)["id"] for _ in range(2)
            ]
        return made

    def _post(self, path: str, headers: dict[str, str], status: int = 201, **body: Any) -> Any:
        response = self.client.post(BASE_URL + path, headers=headers, **body)
        assert response.status_code == status, (path, response.status_code, response.text)
        return response.json()

    def security(self, case: Case[Any]) -> list[str]:
        operation = self.document["paths"][case.operation.path][case.operation.method.lower()]
        return [name for requirement in operation.get("security", []) for name in requirement]

    def prepare(self, case: Case[Any], variant: str) -> None:
        """Shorten long polls; with credentials, authorize and name real resources."""
        query = case.query
        if case.operation.path == "/v1/events" and query:
            wait = query.get("wait")
            if isinstance(wait, int) and LONG_POLL_SECONDS < wait <= 30:
                query["wait"] = LONG_POLL_SECONDS
        if variant == "credentials":
            self._authorize(case)
            self._name_real_resources(case)

    def _authorize(self, case: Case[Any]) -> None:
        """The credential each operation takes, and its purpose unless fuzzing that."""
        path, schemes = case.operation.path, self.security(case)
        headers = CaseInsensitiveDict(case.headers or {})
        if "APIKeyHeader" in schemes:
            headers["X-API-Key"] = self.agency_key
            takes_purpose = any(p.name == "X-Purpose" for p in case.operation.headers)
            if takes_purpose and not _negative(case, ParameterLocation.HEADER):
                headers["X-Purpose"] = PURPOSE
        elif "HTTPBearer" in schemes:
            token = self.citizen_token if path.startswith("/v1/me") else DEFAULT_ADMIN_TOKEN
            headers["Authorization"] = f"Bearer {token}"
        elif path == "/oauth/token":
            basic = base64.b64encode(f"{AGENCY}:{self.agency_key}".encode()).decode()
            headers["Authorization"] = f"Basic {basic}"
        case.headers = headers

    def _name_real_resources(self, case: Case[Any]) -> None:
        """Real ids and fields where the generated ones are valid (negative ones stay)."""
        path, deleting = case.operation.path, case.method.upper() == "DELETE"
        if case.path_parameters and not _negative(case, ParameterLocation.PATH):
            known = {}
            for name in case.path_parameters:
                values = self.disposable.get(path) if name == "prefix" else None
                if deleting and values is None:
                    values = self.disposable.get(name)
                known[name] = values or self.kept.get(name)
            _substitute(known, case.path_parameters)
        fields = self.fields if "APIKeyHeader" in self.security(case) else {}
        if path == "/v1/citizen/login":
            fields = self.login
        for location, container in (
            (ParameterLocation.QUERY, case.query),
            (ParameterLocation.BODY, case.body),
        ):
            if fields and isinstance(container, dict) and not _negative(case, location):
                _substitute(fields, container)

    def clean_up(self, case: Case[Any], response: Response) -> None:
        """A fault rule the fuzzer created would fail later requests on purpose: delete it."""
        created = case.method.upper() == "POST" and response.status_code == 201
        if created and case.operation.path == "/v1/sandbox/faults":
            rule = response.json()["id"]
            deleted = self.client.delete(f"{BASE_URL}/v1/sandbox/faults/{rule}", headers=ADMIN)
            assert deleted.status_code == 204, deleted.text


def _negative(case: Case[Any], location: ParameterLocation) -> bool:
    """Whether the case's value at ``location`` was generated to be invalid."""
    return case.meta is not None and case.meta.is_negative_at(location)


def _column(database_url: str, column: Any, condition: Any) -> list[Any]:
    """A column of the persona citizens (ids 1…38), in catalogue order."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            statement = select(column).where(Citizen.id <= PERSONAS, condition).order_by(Citizen.id)
            return list(connection.scalars(statement))
    finally:
        engine.dispose()
