"""Steps beyond lookups: push a sector record, read its history, open the wallet, ask for
statistics, extract a cohort (docs/records.md, docs/statistics.md, docs/extracts.md).

Each returns an ``Outcome``: the answer's status and code, the outcome in words, the
answer itself (what the report shows) and, for an extract, the access-log records
of a citizen in the cohort.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from connectors.calls import Call, problem_code
from connectors.scenario import views
from connectors.scenario.model import Step
from connectors.scenario.records import record_body

if TYPE_CHECKING:
    from connectors.scenario.steps import StepRunner

ACTIONS = ("push_record", "history", "wallet", "statistics", "extract")
ADMIN = "popreg-admin"  # how the admin token's calls appear in the call log and audit
EXTRACT_WAIT = 120.0  # seconds an extract step waits for its job to finish
POLL_SECONDS = 0.5
FINISHED = ("done", "failed", "cancelled")


@dataclass
class Outcome:
    status: int | None
    code: str | None
    detail: str
    answer: dict[str, Any] | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    citizen: str | None = None  # whose access log ``records`` come from, if not the step's


async def run(runner: StepRunner, step: Step, citizen: str) -> Outcome:
    if step.action == "push_record":
        return await push_record(runner, step, citizen)
    if step.action == "history":
        return await history(runner, step, citizen)
    if step.action == "wallet":
        return await wallet(runner, citizen)
    if step.action == "statistics":
        return await statistics(runner, step)
    return await extract(runner, step, citizen)


def refused(response: httpx.Response | None) -> Outcome | None:
    """The outcome of a refusal or of no answer; None for a success."""
    if response is None:
        return Outcome(None, None, "no answer")
    if response.status_code < 400:
        return None
    code = problem_code(response)
    status = response.status_code
    detail = f"{status} {code}: refused" if code else f"{status}: refused"
    body = _json(response)
    if body.get("fields"):  # HOLDER_MISMATCH says which fields disagree (never how)
        detail += f" ({', '.join(map(str, body['fields']))} disagree)"
    return Outcome(status, code, detail)


async def push_record(runner: StepRunner, step: Step, citizen: str) -> Outcome:
    assert step.kind is not None  # the model checks
    assert step.agency is not None
    given = step.record
    if given is not None and given.holder is not None:
        holder = given.holder.model_dump()
    else:
        holder = await runner.holder(citizen)
    today = datetime.now(UTC).date()
    body = record_body(step.kind, citizen, holder, given, today, runner.rng)
    response = await runner.client(step.agency).request(
        "PUT",
        f"/v1/citizens/{citizen}/records/{step.kind.value}",
        route="/v1/citizens/{personal_id}/records/{kind}",
        json=body,
        purpose=step.purpose,
        task="push_record",
        safe=True,  # the same content again is "unchanged": a retry is harmless
    )
    if (refusal := refused(response)) is not None:
        return refusal
    assert response is not None
    answer = response.json()
    changed = answer.get("changed_fields") or []
    detail = f"{response.status_code}: {answer['result']}, version {answer['version']}"
    if changed and answer["result"] == "updated":
        detail += f" (changed: {', '.join(changed)})"
    return Outcome(response.status_code, None, detail, answer)


async def history(runner: StepRunner, step: Step, citizen: str) -> Outcome:
    assert step.kind is not None
    assert step.agency is not None
    response = await runner.client(step.agency).request(
        "GET",
        f"/v1/citizens/{citizen}/records/{step.kind.value}/history",
        route="/v1/citizens/{personal_id}/records/{kind}/history",
        purpose=step.purpose,
        task="history",
    )
    if (refusal := refused(response)) is not None:
        return refusal
    assert response is not None
    answer = response.json()
    versions = answer["versions"]
    kind = views.kind_words(step.kind)
    detail = f"{response.status_code}: {len(versions)} versions of the {kind}"
    if versions:
        newest = versions[0]
        detail += f", the newest (v{newest['version']}) from {newest['agency']}"
    return Outcome(response.status_code, None, detail, answer)


async def wallet(runner: StepRunner, citizen: str) -> Outcome:
    token = await runner.login(citizen)
    response = await runner.http.get(
        "/v1/me/documents", headers={"Authorization": f"Bearer {token}"}
    )
    if (refusal := refused(response)) is not None:
        return refusal
    answer = response.json()
    documents = answer["documents"]
    sources = {d["source_agency_name"] or d["source_agency"] for d in documents}
    detail = (
        f"{response.status_code}: {len(documents)} documents in the citizen's wallet, "
        f"from {len(sources)} sources"
    )
    return Outcome(response.status_code, None, detail, answer)


async def statistics(runner: StepRunner, step: Step) -> Outcome:
    assert step.query is not None
    params = step.query.params()
    if step.agency is None:
        response = await _admin_get(runner, "/v1/statistics/population", params, "statistics")
    else:
        response = await runner.client(step.agency).request(
            "GET",
            "/v1/statistics/population",
            params=params,
            purpose=step.purpose,
            task="statistics",
        )
    if (refusal := refused(response)) is not None:
        return refusal
    assert response is not None
    answer = response.json()
    table = views.Table.of(answer, step.query.k)
    return Outcome(response.status_code, None, f"{response.status_code}: {table.words()}", answer)


async def extract(runner: StepRunner, step: Step, citizen: str) -> Outcome:
    assert step.cohort is not None
    assert step.agency is not None
    client = runner.client(step.agency)
    started = time.monotonic()
    response = await client.request(
        "POST",
        "/v1/extracts",
        json={"cohort": step.cohort.model_dump(mode="json", exclude_none=True)},
        purpose=step.purpose,
        task="extract",
    )
    if (refusal := refused(response)) is not None:
        return refusal
    assert response is not None
    accepted = response.status_code
    job: dict[str, Any] = response.json()
    while job["state"] not in FINISHED and time.monotonic() - started < EXTRACT_WAIT:
        await asyncio.sleep(POLL_SECONDS)
        polled = await client.request(
            "GET", f"/v1/extracts/{job['id']}", route="/v1/extracts/{id}", task="extract_wait"
        )
        if (refusal := refused(polled)) is not None:
            return refusal
        assert polled is not None
        job = polled.json()
    seconds = time.monotonic() - started
    answer: dict[str, Any] = {"extract": job, "seconds": seconds}
    if job["state"] != "done":
        state = job["state"] if job["state"] in FINISHED else f"still {job['state']}"
        detail = f"the extract is {state} after {seconds:,.0f} s ({job['progress']:.0%})"
        detail += f": {job['error']}" if job.get("error") else ""
        return Outcome(None, None, detail, answer)
    data = await client.request(
        "GET", f"/v1/extracts/{job['id']}/data", route="/v1/extracts/{id}/data", task="extract_data"
    )
    if (refusal := refused(data)) is not None:
        return refusal
    assert data is not None
    ids = [str(orjson.loads(line).get("personal_id")) for line in data.text.splitlines() if line]
    witness = citizen if citizen in ids else (ids[0] if ids else None)
    answer.update(rows=len(ids), subject=citizen, witness=witness)
    detail = (
        f"{accepted}: {job['rows_total']:,} citizens extracted in {seconds:,.1f} s, "
        f"{len(ids):,} rows downloaded"
    )
    if witness is None:
        return Outcome(accepted, None, detail + "; the cohort is empty", answer)
    records = [
        r
        for r in await runner.access_log(witness, limit=50)
        if r["operation"] == "extract"
        and r["agency"] == step.agency
        and str(r["when"])[:19] >= str(job["created_at"])[:19]
    ]
    records.reverse()
    who = "the subject" if witness == citizen else f"cohort member {witness}"
    detail += f"; {who} sees it in their access log" if records else f"; not in {who}'s access log"
    return Outcome(accepted, None, detail, answer, records, witness)


async def _admin_get(
    runner: StepRunner, path: str, params: dict[str, str], task: str
) -> httpx.Response | None:
    """The registry operator's call (the sandbox admin token), logged like an agency's."""
    request_id = uuid.uuid4().hex
    at, clock = time.time(), time.perf_counter()
    try:
        response: httpx.Response | None = await runner.http.get(
            path,
            params=params,
            headers={"Authorization": f"Bearer {runner.admin_token}", "X-Request-ID": request_id},
        )
    except httpx.TransportError:
        response = None
    runner.log.add(
        Call(
            at=at,
            connector=runner.connector,
            agency=ADMIN,
            task=task,
            purpose=None,
            method="GET",
            path=path,
            status=None if response is None else response.status_code,
            code=problem_code(response),
            attempts=1,
            seconds=time.perf_counter() - clock,
            request_id=request_id,
        )
    )
    return response


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
