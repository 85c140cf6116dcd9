"""A scenario's one-off steps: an agency asks for something, a citizen looks or decides.

Agency steps (``lookup``, ``verify``, and in ``sharing``: ``push_record``, ``history``,
``statistics``, ``extract``) go through a ``RegistryClient`` with the demo agency's
key and land in the shared call log as connector ``steps``; ``statistics`` without
an agency uses the admin token. Citizen steps (``access_log``, ``wallet``,
``give_consent``, ``withdraw_consent``) sign in with the sandbox one-time code and
read or change the citizen's own side; ``access_log`` keeps the records written
since the run began: the evidence the report shows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import httpx

from connectors.calls import CallLog, problem_code
from connectors.client import Credentials, RegistryClient
from connectors.scenario import sharing
from connectors.scenario.model import SUBJECT, Step

STEPS = "steps"  # the connector name of step calls in the call log
CITIZEN_CODE = "123456"  # the sandbox's one-time code (POPREG_CITIZEN_LOGIN_CODE)
REFUSED = ("denied", "invalid", "not_found", "unavailable")  # audit outcomes of a refusal


class StepError(RuntimeError):
    """A step cannot run at all (no subject, the citizen cannot sign in)."""


@dataclass
class StepResult:
    index: int
    step: Step
    citizen: str
    at: float  # seconds after the scenario's start
    status: int | None
    code: str | None
    detail: str  # the outcome in words
    records: list[dict[str, Any]] = field(default_factory=list)  # access_log: new records
    answer: dict[str, Any] | None = None  # what the report shows (views.py): the JSON answer

    @property
    def met(self) -> bool | None:
        """Whether the answer is the expected one; None when the step expects nothing."""
        expect = self.step.expect
        if expect is None:
            return None
        if expect == "ok":
            return self.status is not None and self.status < 400
        if expect.isdigit():
            return self.status == int(expect)
        return self.code == expect


class StepRunner:
    """Runs steps against one registry; remembers each citizen's access-log position."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        log: CallLog,
        *,
        admin_token: str,
        citizen_code: str = CITIZEN_CODE,
    ) -> None:
        self.http, self.log, self.connector = http, log, STEPS
        self.admin_token, self.citizen_code = admin_token, citizen_code
        self.rng = random.Random()  # noqa: S311 - record numbers in a sandbox, not secrets
        self.subject: dict[str, Any] | None = None
        self._clients: dict[str, RegistryClient] = {}
        self._seen: dict[str, int] = {}  # personal ID → newest access-log seq before the run

    # --- before the clock starts -----------------------------------------------------

    async def choose_subject(self, personal_id: str | None) -> str:
        """The steps' citizen: the one given, or a living adult drawn from the registry."""
        if personal_id is not None:
            self.subject = {"personal_id": personal_id}
            return personal_id
        response = await self.http.get(
            "/v1/sandbox/citizens/sample",
            params={"count": 1, "min_age": 18},
            headers={"Authorization": f"Bearer {self.admin_token}"},
        )
        if response.status_code != 200 or not response.json()["citizens"]:
            raise StepError(
                f"cannot draw the steps' citizen ({response.status_code}): {response.text[:200]}"
            )
        self.subject = response.json()["citizens"][0]
        return str(self.subject["personal_id"])

    async def mark(self, personal_id: str) -> None:
        """Remember where the citizen's access log stands, to show only this run's records."""
        records = await self.access_log(personal_id, limit=1)
        self._seen[personal_id] = max((int(r["seq"]) for r in records), default=0)

    # --- the steps ---------------------------------------------------------------------

    async def run(self, index: int, step: Step, at: float) -> StepResult:
        citizen = "" if step.action == "statistics" else self._citizen(step)  # counts: no one
        if step.action == "access_log":
            since = self._seen.get(citizen, 0)
            records = [r for r in await self.access_log(citizen) if int(r["seq"]) > since]
            records.reverse()  # oldest first: the story in order
            denied = sum(1 for r in records if r["outcome"] in REFUSED)
            detail = f"{len(records)} new records in the citizen's access log, {denied} refused"
            return StepResult(index, step, citizen, at, 200, None, detail, records)
        if step.action in sharing.ACTIONS:
            done = await sharing.run(self, step, citizen)
            return StepResult(
                index,
                step,
                done.citizen or citizen,
                at,
                done.status,
                done.code,
                done.detail,
                done.records,
                done.answer,
            )
        if step.action in ("lookup", "verify"):
            response = await self._agency_call(step, citizen)
        elif step.action == "give_consent":
            token = await self.login(citizen)
            response = await self.http.post(
                "/v1/me/consents",
                json={"agency": step.agency, "purpose": step.purpose},
                headers={"Authorization": f"Bearer {token}"},
            )
        else:
            response = await self._withdraw(step, citizen)
            if response is None:
                return StepResult(
                    index, step, citizen, at, 404, None, "404: no live consent to withdraw"
                )
        if response is None:
            return StepResult(index, step, citizen, at, None, None, "no answer")
        code = problem_code(response)
        status = response.status_code
        answer = response.json() if step.action == "lookup" and status == 200 else None
        words = _words(step, status, code, answer)
        return StepResult(index, step, citizen, at, status, code, words, answer=answer)

    def _citizen(self, step: Step) -> str:
        if step.citizen != SUBJECT:
            return step.citizen
        if self.subject is None:
            raise StepError("no subject chosen")
        return str(self.subject["personal_id"])

    def client(self, agency: str) -> RegistryClient:
        from app.agencies.keys import demo_api_key

        if agency not in self._clients:
            credentials = Credentials(agency=agency, api_key=demo_api_key(agency).secret)
            self._clients[agency] = RegistryClient(
                self.http, credentials, connector=STEPS, log=self.log
            )
        return self._clients[agency]

    async def _agency_call(self, step: Step, citizen: str) -> httpx.Response | None:
        assert step.agency is not None  # the model checks
        assert step.purpose is not None
        client = self.client(step.agency)
        if step.action == "lookup":
            return await client.request(
                "GET",
                f"/v1/citizens/{citizen}",
                route="/v1/citizens/{personal_id}",
                purpose=step.purpose,
                task="lookup",
            )
        claims = step.claims or await self.holder(citizen)
        return await client.request(
            "POST",
            "/v1/identity/verify",
            json={"personal_id": citizen, "purpose": step.purpose, "claims": claims},
            purpose=step.purpose,
            task="verify",
            safe=True,
        )

    async def holder(self, citizen: str) -> dict[str, str]:
        """The citizen's name and birth date in the registry (as their own files hold them)."""
        known = self.subject if self.subject and self.subject["personal_id"] == citizen else None
        if known is None or "full_name" not in known:
            token = await self.login(citizen)
            response = await self.http.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
            known = response.json() if response.status_code == 200 else {}
        return {k: str(known[k]) for k in ("full_name", "birth_date") if known.get(k)}

    async def _withdraw(self, step: Step, citizen: str) -> httpx.Response | None:
        """Withdraw every live consent to the step's agency and purpose; None if none."""
        token = await self.login(citizen)
        headers = {"Authorization": f"Bearer {token}"}
        listed = await self.http.get("/v1/me/consents", headers=headers)
        if listed.status_code != 200:
            return listed
        live = [
            c["id"]
            for c in listed.json()
            if c["agency"] == step.agency and c["purpose"] == step.purpose and c["status"] == "live"
        ]
        response = None
        for consent_id in live:
            response = await self.http.delete(f"/v1/me/consents/{consent_id}", headers=headers)
        return response

    async def login(self, citizen: str) -> str:
        response = await self.http.post(
            "/v1/citizen/login", json={"personal_id": citizen, "code": self.citizen_code}
        )
        if response.status_code != 200:
            raise StepError(
                f"citizen {citizen} cannot sign in ({response.status_code} "
                f"{problem_code(response) or ''}); is POPREG_CITIZEN_LOGIN_CODE "
                f"{self.citizen_code!r}?"
            )
        return str(response.json()["access_token"])

    async def access_log(self, citizen: str, limit: int = 200) -> list[dict[str, Any]]:
        token = await self.login(citizen)
        response = await self.http.get(
            "/v1/me/access-log",
            params={"limit": limit},
            headers={"Authorization": f"Bearer {token}"},
        )
        if response.status_code != 200:
            raise StepError(f"cannot read the access log of {citizen} ({response.status_code})")
        records: list[dict[str, Any]] = response.json()["records"]
        return records


def _words(step: Step, status: int, code: str | None, answer: dict[str, Any] | None) -> str:
    if status >= 400:
        return f"{status} {code}: refused" if code else f"{status}: refused"
    fields = [name for name in answer or {} if name != "personal_id"]
    done = {
        "lookup": f"{step.agency} read the record: {', '.join(fields) or 'the personal ID only'}",
        "verify": f"{step.agency} checked the claims",
        "give_consent": f"the citizen gave {step.agency} consent for {step.purpose}",
        "withdraw_consent": f"the citizen withdrew consent to {step.agency} for {step.purpose}",
    }
    return f"{status}: {done[step.action]}"
