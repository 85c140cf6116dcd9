"""Locust users for bench/soak.py: the mixed workload of the load-and-soak run.

    locust -f bench/locust_soak.py --host http://127.0.0.1:8000   (bench/soak.py runs it)

- ``LookupUser``: a bank reads customers (``GET /v1/citizens/{id}``, kyc_onboarding).
- ``VerifyUser``: a telecom verifies subscribers, one at a time (four in five calls) or
  20 per batch call.
- ``CivilUser``: the civil registry records name changes, moves and deaths; every
  event acknowledged (201) is appended to ``SOAK_ACKS``, for the harness to check that
  each reached the webhook receiver.
- ``CleaningUser`` (one): uploads a file of ``SOAK_JOB_ROWS`` rows, polls the job until
  it is done, downloads the results and checks there is one per row; again.

Each request is judged once: the expected status is a success; anything else a
failure whose message starts with its kind, which bench/soak.py counts:
``injected:`` (the answer carries ``X-Sandbox-Fault-Injected``: a fault injected on
purpose), ``rate_limited:`` (429) or ``error:`` (everything else, including no answer).

Environment (bench/soak.py sets it): ``SOAK_SAMPLE`` (JSON: citizens to read and
verify, living adults to change), ``SOAK_ACKS`` (file of acknowledged event ids),
``SOAK_KEYS`` (JSON: agency code → API key), ``SOAK_RATE`` (multiplies every user's
pace, default 1), ``SOAK_JOB_ROWS`` (default 1000).
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from datetime import UTC, datetime
from typing import Any

from locust import between, constant_throughput, task
from locust.contrib.fasthttp import FastHttpUser

SAMPLE: dict[str, Any] = json.loads(open(os.environ["SOAK_SAMPLE"], encoding="utf-8").read())  # noqa: SIM115
KEYS: dict[str, str] = json.loads(os.environ["SOAK_KEYS"])
RATE = float(os.environ.get("SOAK_RATE", "1"))
JOB_ROWS = int(os.environ.get("SOAK_JOB_ROWS", "1000"))
INJECTED_HEADER = "X-Sandbox-Fault-Injected"
READERS: list[dict[str, str]] = SAMPLE["readers"]
ADULTS: list[str] = SAMPLE["adults"]
WARDS: list[str] = SAMPLE["wards"]
_dying = iter(SAMPLE["dying"])  # each dies once; one Locust process, so no one twice
_acks_lock = threading.Lock()
_acks = open(os.environ["SOAK_ACKS"], "a", encoding="utf-8", buffering=1)  # noqa: SIM115


def judge(answer: Any, expected: int, *, json_body: bool = True) -> dict[str, Any] | None:
    """Mark the response a success or a failure of its kind; its JSON body on success."""
    status = answer.status_code
    if status == expected:
        answer.success()
        try:
            return answer.json() if json_body and answer.content else {}
        except ValueError:
            return {}
    if status and answer.headers.get(INJECTED_HEADER):
        answer.failure(f"injected: HTTP {status}")
    elif status == 429:
        answer.failure(f"rate_limited: HTTP 429 {_code(answer)}")
    elif not status:
        answer.failure(f"error: no answer ({getattr(answer, 'error', None)})")
    else:
        answer.failure(f"error: HTTP {status} {_code(answer)}")
    return None


def _code(answer: Any) -> str:
    try:
        return str(answer.json().get("code", ""))
    except (ValueError, AttributeError):
        return ""


def _headers(agency: str, purpose: str) -> dict[str, str]:
    return {"X-API-Key": KEYS[agency], "X-Purpose": purpose}


class LookupUser(FastHttpUser):
    weight = 10
    wait_time = constant_throughput(4 * RATE)
    headers = _headers("phusa-bank", "kyc_onboarding")

    @task
    def lookup(self) -> None:
        person = random.choice(READERS)
        with self.client.get(
            f"/v1/citizens/{person['personal_id']}",
            headers=self.headers,
            name="lookup",
            catch_response=True,
        ) as answer:
            judge(answer, 200)


class VerifyUser(FastHttpUser):
    weight = 6
    wait_time = constant_throughput(2 * RATE)
    headers = _headers("saomai-telecom", "subscriber_verification")

    @staticmethod
    def record(person: dict[str, str]) -> dict[str, Any]:
        claims = {"full_name": person["full_name"], "birth_date": person["birth_date"]}
        return {"personal_id": person["personal_id"], "claims": claims}

    @task(4)
    def verify(self) -> None:
        with self.client.post(
            "/v1/identity/verify",
            json=self.record(random.choice(READERS)),
            headers=self.headers,
            name="verify",
            catch_response=True,
        ) as answer:
            judge(answer, 200)

    @task(1)
    def verify_batch(self) -> None:
        records = [self.record(p) for p in random.sample(READERS, 20)]
        with self.client.post(
            "/v1/identity/verify/batch",
            json={"records": records},
            headers=self.headers,
            name="verify batch (20)",
            catch_response=True,
        ) as answer:
            judge(answer, 200)


class CivilUser(FastHttpUser):
    weight = 2
    wait_time = constant_throughput(0.5 * RATE)
    headers = _headers("civil-registry-demo", "civil_status")

    def record(self, path: str, body: dict[str, Any]) -> None:
        with self.client.post(
            f"/v1/civil/{path}",
            json=body,
            headers=self.headers,
            name=f"civil {path}",
            catch_response=True,
        ) as answer:
            document = judge(answer, 201)
        if document:
            ids = "".join(f"{event['id']}\n" for event in document["events"])
            with _acks_lock:
                _acks.write(ids)

    @task(6)
    def name_change(self) -> None:
        n = random.randrange(1_000_000)
        self.record(
            "name-changes",
            {
                "personal_id": random.choice(ADULTS),
                "full_name": f"Nguyễn Văn Đổi {n}",
                "changed_on": _today(),
            },
        )

    @task(3)
    def move(self) -> None:
        self.record(
            "residence-changes",
            {
                "personal_id": random.choice(ADULTS),
                "kind": "current",
                "street": f"Số {random.randrange(1, 400)} đường Lê Lợi",
                "legacy_ward_code": random.choice(WARDS),
                "moved_on": _today(),
            },
        )

    @task(1)
    def death(self) -> None:
        person = next(_dying, None)
        if person is not None:
            self.record("deaths", {"personal_id": person, "death_date": _today()})


class CleaningUser(FastHttpUser):
    fixed_count = 1
    wait_time = between(2, 5)
    headers = _headers("saomai-telecom", "subscriber_verification")

    @task
    def clean_a_file(self) -> None:
        rows = []
        for n in range(JOB_ROWS):
            person = random.choice(READERS)
            if n % 50 == 7:
                rows.append(f"12ab{n},Nobody,1990-01-01\n")  # malformed: an `invalid` row
            else:
                rows.append(
                    f"{person['personal_id']},{person['full_name']},{person['birth_date']}\n"
                )
        body = "id_number,full_name,birth_date\n" + "".join(rows)
        with self.client.post(
            "/v1/cleaning/jobs?sector=telecom",
            data=body.encode(),
            headers={**self.headers, "Content-Type": "text/csv"},
            name="cleaning upload",
            catch_response=True,
        ) as answer:
            job = judge(answer, 202)
        if not job:
            return
        deadline = time.monotonic() + 300
        state = job["state"]
        while state not in ("done", "failed", "cancelled") and time.monotonic() < deadline:
            time.sleep(1)
            with self.client.get(
                f"/v1/cleaning/jobs/{job['id']}",
                headers=self.headers,
                name="cleaning poll",
                catch_response=True,
            ) as answer:
                progress = judge(answer, 200)
            state = progress["state"] if progress else state
        with self.client.get(
            f"/v1/cleaning/jobs/{job['id']}/results",
            headers=self.headers,
            name="cleaning results",
            catch_response=True,
        ) as answer:
            if judge(answer, 200, json_body=False) is not None:
                lines = answer.content.count(b"\n")
                if lines != JOB_ROWS:  # a result for every row, no more, no less
                    answer.failure(f"error: {lines} results for {JOB_ROWS} rows (job {state})")


def _today() -> str:
    return datetime.now(UTC).date().isoformat()
