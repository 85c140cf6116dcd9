"""The telecom: the nightly clean-up's cut-off list, a job followed across steps, no re-upload."""

from __future__ import annotations

import pytest

from connectors import CallLog, make_connector
from connectors.builtin.telecom import CUT_OFF, TelecomConnector
from tests.connectors.live import Live, Town, confined
from tests.connectors.scripted import STATUSES, ScriptedRegistry, connected, problem

pytestmark = pytest.mark.anyio


async def test_the_nightly_cleanup_lists_the_dead_and_unknown_subscribers(
    live: Live, town: Town
) -> None:
    telecom = make_connector(confined(TelecomConnector), live.http, log=CallLog(), seed=4)
    assert isinstance(telecom, TelecomConnector)
    await telecom.setup()
    unknown = {**town.records[town.singles[0]], "personal_id": "095090999999"}
    unknown["full_name"] = "Không Ai Có Tên Này"
    telecom.people += [town.records[town.dead[0]], unknown]

    await telecom.nightly_cleanup()

    assert telecom.last_job is not None
    listed = {entry.personal_id: entry for entry in telecom.cutoff}
    assert listed[town.dead[0]].status == "deceased"
    assert listed["095090999999"].status == "not_found"
    assert {entry.status for entry in telecom.cutoff} <= CUT_OFF
    assert len({entry.subscriber_id for entry in telecom.cutoff}) == len(telecom.cutoff)
    summary = await live.http.get(
        f"/v1/cleaning/jobs/{telecom.last_job}/summary",
        headers={"X-API-Key": telecom.registry.credentials.api_key},
    )
    by_status = summary.json()["by_status"]
    assert summary.json()["rows"] == len(telecom.people)
    assert telecom.cutoff_counts == {s: by_status[s] for s in CUT_OFF if by_status[s]}
    assert len(telecom.cutoff) < len(telecom.people)  # most subscribers are in order


async def test_a_job_still_running_is_followed_up_by_the_next_cleanup_step() -> None:
    registry = ScriptedRegistry(job_state="running")
    async with connected(TelecomConnector, registry) as telecom:
        assert isinstance(telecom, TelecomConnector)
        telecom.jobs.patience_seconds = 0  # one poll per step
        await telecom.setup()

        await telecom.nightly_cleanup()
        await telecom.nightly_cleanup()
        registry.job_state = "done"
        await telecom.nightly_cleanup()

    uploads = [r for r in registry.requests() if r.method == "POST"]
    polls = [r for r in registry.requests() if r.url.path == "/v1/cleaning/jobs/job1"]
    assert len(uploads) == 1
    assert len(polls) == 3
    rows = registry.jobs["job1"]
    assert rows == len(telecom.people)
    expected = [n for n in range(1, rows + 1) if STATUSES[(n - 1) % len(STATUSES)] in CUT_OFF]
    assert [int(e.subscriber_id[2:]) for e in telecom.cutoff] == expected
    assert telecom.last_job == "job1"


async def test_a_job_left_running_is_cancelled_at_teardown() -> None:
    registry = ScriptedRegistry(job_state="running")
    async with connected(TelecomConnector, registry) as telecom:
        assert isinstance(telecom, TelecomConnector)
        telecom.jobs.patience_seconds = 0
        await telecom.setup()
        await telecom.nightly_cleanup()
        await telecom.teardown()

    assert [(r.method, r.url.path) for r in registry.requests()][-1] == (
        "DELETE",
        "/v1/cleaning/jobs/job1",
    )
    assert telecom.cutoff == []


async def test_an_upload_that_failed_is_not_sent_again() -> None:
    registry = ScriptedRegistry(
        fault=lambda request, attempt: problem(503, "SERVICE_UNAVAILABLE", **{"Retry-After": "0"})
    )
    async with connected(TelecomConnector, registry) as telecom:
        await telecom.setup()
        registry.failing = True
        await telecom.nightly_cleanup()

    assert [(r.method, r.url.path) for r in registry.requests()] == [("POST", "/v1/cleaning/jobs")]
    log = list(telecom.registry.log)
    assert [(c.path, c.attempts, c.outcome) for c in log] == [
        ("/v1/cleaning/jobs", 1, "server_error")
    ]


async def test_subscribers_are_keyed_in_with_the_usual_mistakes() -> None:
    async with connected(TelecomConnector, ScriptedRegistry()) as telecom:
        assert isinstance(telecom, TelecomConnector)
        await telecom.setup()
        person = telecom.people[0]
        forms = [telecom.keyed_in(person) for _ in range(2000)]

    exact = (person["personal_id"], {k: person[k] for k in ("full_name", "birth_date")})
    share_exact = sum(form == exact for form in forms) / len(forms)
    assert 0.6 < share_exact < 0.9
    assert any(pid != person["personal_id"] for pid, _ in forms)  # a wrong digit
    assert any("/" in claims["birth_date"] for _, claims in forms)  # day first
