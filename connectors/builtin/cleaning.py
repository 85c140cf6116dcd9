"""A bulk clean-up job as an agency runs it: upload a file, poll until done, download the results.

Shared by the connectors whose sector cleaned its records against the national
database in bulk (telecoms, social insurance). One job at a time per connector:
a job still running when a step's patience runs out is picked up again by the
connector's next clean-up step, and cancelled at teardown.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from connectors.base import Connector
from connectors.builtin.answers import json_object

FINISHED = frozenset({"done", "cancelled", "failed"})


def csv_file(columns: Sequence[str], rows: Sequence[Mapping[str, str]]) -> bytes:
    """A UTF-8 CSV file with a header row, as an agency's export would be."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


class CleaningJobs:
    """The cleaning-job calls of one connector, under one of its purposes."""

    def __init__(
        self,
        connector: Connector,
        role: str,
        *,
        poll_seconds: float = 0.2,
        max_poll_seconds: float = 2.0,
        patience_seconds: float = 30.0,
    ) -> None:
        self.connector = connector
        self.role = role
        self.poll_seconds = poll_seconds
        self.max_poll_seconds = max_poll_seconds
        self.patience_seconds = patience_seconds

    @property
    def purpose(self) -> str:
        return self.connector.purpose(self.role)

    async def submit(
        self,
        body: bytes,
        *,
        sector: str,
        task: str,
        mapping: Mapping[str, str] | None = None,
    ) -> str | None:
        """Upload the file; the job's id, or None when it was not accepted.

        Not retried: an upload carries no Idempotency-Key, so a second attempt
        after a lost answer could start a second job.
        """
        params: dict[str, Any] = {"sector": sector}
        if mapping:
            params["map"] = [f"{field}:{column}" for field, column in mapping.items()]
        response = await self.connector.registry.request(
            "POST",
            "/v1/cleaning/jobs",
            route="/v1/cleaning/jobs",
            params=params,
            content=body,
            headers={"Content-Type": "text/csv"},
            purpose=self.purpose,
            task=task,
        )
        if response is None or response.status_code != 202:
            return None
        job_id = json_object(response).get("id")
        return job_id if isinstance(job_id, str) and job_id else None

    async def wait(self, job_id: str, *, task: str) -> str | None:
        """Poll until the job has finished: its final state, or None if still running."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.patience_seconds
        pause = self.poll_seconds
        while True:
            response = await self.connector.registry.request(
                "GET",
                f"/v1/cleaning/jobs/{job_id}",
                route="/v1/cleaning/jobs/{job_id}",
                purpose=self.purpose,
                task=task,
            )
            if response is not None and response.status_code == 404:
                return "failed"  # gone (a reset sandbox): nothing more to wait for
            if response is not None and response.status_code == 200:
                state = json_object(response).get("state")
                if state in FINISHED:
                    return str(state)
            if loop.time() + pause > deadline:
                return None
            await asyncio.sleep(pause)
            pause = min(self.max_poll_seconds, pause * 1.5)

    async def results(self, job_id: str, *, task: str) -> list[dict[str, Any]] | None:
        """Every row's result, in input order (NDJSON), or None when they could not be read."""
        response = await self.connector.registry.request(
            "GET",
            f"/v1/cleaning/jobs/{job_id}/results",
            route="/v1/cleaning/jobs/{job_id}/results",
            params={"format": "ndjson"},
            purpose=self.purpose,
            task=task,
        )
        if response is None or response.status_code != 200:
            return None
        rows: list[dict[str, Any]] = []
        for line in response.content.splitlines():
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue  # a blank or cut line: the rows around it still count
            if isinstance(row, dict):
                rows.append(row)
        return rows

    async def cancel(self, job_id: str, *, task: str) -> None:
        await self.connector.registry.request(
            "DELETE",
            f"/v1/cleaning/jobs/{job_id}",
            route="/v1/cleaning/jobs/{job_id}",
            purpose=self.purpose,
            task=task,
            safe=True,  # cancelling twice is cancelling once
        )
