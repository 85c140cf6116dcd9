"""A mobile operator: subscriber checks at SIM registration, the nightly clean-up, the cut-off list.

Decree 163/2024/ND-CP (like Decree 49/2017 before it) makes an operator check a
new subscriber's personal ID, full name and date of birth against the national
population database before a SIM is activated, and keep its whole subscriber
base in agreement with it. Under Project 06 the operators did this in bulk:
their subscriber files were cleaned against the registry (about 102 million
records), and subscribers whose information did not agree were told to update
it, then cut off one-way, then two-way if they did not.

- ``register_subscriber`` (frequent): a shop clerk keys in the customer's card
  details; some forms carry the usual mistakes (no diacritics, a day-first or
  swapped date, one wrong ID digit, the given name first, another person's name).
- ``nightly_cleanup`` (rare, heavier): the subscriber base as CSV to
  ``POST /v1/cleaning/jobs``, polled until done; the results give the
  **cut-off list**: rows that are ``mismatch``, ``not_found`` or ``deceased``.

The demo purpose may verify but never read, so the operator learns *that* a
subscriber's name is wrong, never the registry's name. Its file is mapped onto
the checks Decree 163 requires (ID, name, birth date); the ``msisdn`` column
travels along but is not compared, since the operator cannot know which number
a citizen gave the registry.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from connectors.base import Connector
from connectors.builtin import dirty
from connectors.builtin.answers import json_object
from connectors.builtin.cleaning import CleaningJobs, csv_file

CUT_OFF = frozenset({"mismatch", "not_found", "deceased"})
COLUMNS = ("subscriber_id", "msisdn", "full_name", "birth_date", "id_number")
# Decree 163 checks: the personal ID, full name and date of birth.
MAPPING = {"personal_id": "id_number", "full_name": "full_name", "birth_date": "birth_date"}
PREFIXES = ("090", "093", "089", "070", "079", "077", "076", "078")


@dataclass(frozen=True, slots=True)
class CutOff:
    """A subscriber to notify, then cut off, unless they update their information."""

    subscriber_id: str
    msisdn: str
    personal_id: str
    status: str  # mismatch, not_found or deceased
    reason: str | None


class TelecomConnector(Connector):
    name = "telecom"
    title = "Telecom: subscriber checks at SIM registration, nightly clean-up, cut-off list"
    agency = "saomai-telecom"
    sector = "telecom"
    purposes: ClassVar[dict[str, str]] = {"subscribers": "subscriber_verification"}
    tasks: ClassVar[dict[str, int]] = {"register_subscriber": 30, "nightly_cleanup": 1}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.jobs = CleaningJobs(self, "subscribers")
        self.decisions: Counter[str] = Counter()  # SIM registrations by verification decision
        self.cutoff: list[CutOff] = []  # from the last finished clean-up
        self.cutoff_counts: Counter[str] = Counter()
        self.last_job: str | None = None
        self._job: tuple[str, list[dict[str, str]]] | None = None  # running: id, rows sent
        self._cleanup = asyncio.Lock()

    async def register_subscriber(self) -> None:
        """A new SIM: verify what the clerk keyed in before activating it."""
        person = self.pick()
        personal_id, claims = self.keyed_in(person)
        response = await self.verify(personal_id, claims, "subscribers", task="register_subscriber")
        if response is None:
            self.decisions["unanswered"] += 1
        elif response.status_code == 200:
            self.decisions[str(json_object(response).get("decision"))] += 1
        else:
            self.decisions[f"http_{response.status_code}"] += 1

    async def nightly_cleanup(self) -> None:
        """Clean the subscriber base in bulk; the results become the cut-off list."""
        if self._cleanup.locked():
            return  # last night's job is still being followed by another worker
        async with self._cleanup:
            if self._job is None:
                rows = [self.subscriber_row(n, p) for n, p in enumerate(self.people, 1)]
                job_id = await self.jobs.submit(
                    csv_file(COLUMNS, rows),
                    sector="custom",
                    mapping=MAPPING,
                    task="nightly_cleanup",
                )
                if job_id is None:
                    return
                self._job = (job_id, rows)
            job_id, rows = self._job
            state = await self.jobs.wait(job_id, task="nightly_cleanup")
            if state is None:
                return  # still running: the next clean-up step follows it up
            self._job = None
            if state != "done":
                return
            results = await self.jobs.results(job_id, task="nightly_cleanup")
            if results is not None:
                self.last_job = job_id
                self.cutoff = cut_off_list(rows, results)
                self.cutoff_counts = Counter(entry.status for entry in self.cutoff)

    async def teardown(self) -> None:
        if self._job is not None:
            job_id, self._job = self._job[0], None
            await self.jobs.cancel(job_id, task="nightly_cleanup")

    # --- what the operator has on file ------------------------------------------------------

    def keyed_in(self, person: dict[str, Any]) -> tuple[str, dict[str, str]]:
        """The ID and claims as a clerk typed them: mostly right, sometimes not."""
        personal_id = person["personal_id"]
        full_name = self.typo(person["full_name"], 0.06)
        birth_date = person["birth_date"]
        roll = self.rng.random()
        if roll < 0.15:
            birth_date = dirty.day_first(birth_date)  # same date, another notation
        elif roll < 0.18:
            birth_date = dirty.swap_day_month(birth_date)
        elif roll < 0.20:
            personal_id = dirty.wrong_digit(personal_id, self.rng)
        elif roll < 0.21:
            full_name = dirty.given_name_first(full_name)
        elif roll < 0.22:
            # A SIM registered on someone else's card: the "junk SIM" the decree targets.
            full_name = self.pick()["full_name"]
        return personal_id, {"full_name": full_name, "birth_date": birth_date}

    def subscriber_row(self, number: int, person: dict[str, Any]) -> dict[str, str]:
        personal_id, claims = self.keyed_in(person)
        return {
            "subscriber_id": f"SM{number:08d}",
            "msisdn": self.msisdn(),
            "full_name": claims["full_name"],
            "birth_date": claims["birth_date"],
            "id_number": personal_id,
        }

    def msisdn(self) -> str:
        return self.rng.choice(PREFIXES) + f"{self.rng.randrange(10**7):07d}"


def cut_off_list(rows: list[dict[str, str]], results: list[dict[str, Any]]) -> list[CutOff]:
    """Subscribers whose row did not agree with the registry (results are numbered from 1)."""
    listed = []
    for result in results:
        number = result.get("row")
        if result.get("status") not in CUT_OFF or not isinstance(number, int):
            continue
        if not 1 <= number <= len(rows):
            continue
        row = rows[number - 1]
        listed.append(
            CutOff(
                subscriber_id=row["subscriber_id"],
                msisdn=row["msisdn"],
                personal_id=row["id_number"],
                status=str(result["status"]),
                reason=result.get("reason"),
            )
        )
    return listed
