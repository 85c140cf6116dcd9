"""Social insurance: matching legacy insurance books to personal IDs, stopping benefits after death.

Vietnam Social Security kept its books under the old 9-digit identity card
(CMND) number. Under Project 06 it matched them to the 12-digit personal ID in
bulk against the national population database, took the registry's name, birth
date and address where its own differed, and stopped pensions and allowances of
members recorded as dead (Law on Social Insurance 2024).

- ``setup`` opens the connector's **book**: sampled citizens looked up once under
  ``benefit_records`` (which may read ``legacy_id``), kept as the legacy system
  holds them: CMND, name (sometimes without diacritics), day-first birth date,
  sex as ``Nam``/``Nữ``, the address in the pre-2025 units. Only members with a
  CMND are kept: the sample endpoint does not give ``legacy_id``.
- ``lookup_legacy`` (frequent): one member's CMND,
  ``GET /v1/citizens/by-legacy-id/{cmnd}``; the member is the holder born on
  the book's birth date (a number issued twice answers several holders,
  ``ambiguous``; a mistyped one answers someone else, or nobody).
- ``match_book`` (rare, heavier): the whole book as a cleaning job, sector
  ``social_insurance``: an old CMND comes back ``corrected`` with the 12-digit
  personal ID, an old address with its 2025 two-level form.
- ``follow_deaths`` (rare): the change feed's deaths; members among them have
  their benefits stopped.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from connectors.base import Connector, ConnectorError
from connectors.builtin import dirty
from connectors.builtin.answers import json_object
from connectors.builtin.cleaning import CleaningJobs, csv_file

COLUMNS = ("so_bhxh", "id_number", "full_name", "birth_date", "sex", "address")
SEXES = {"male": "Nam", "female": "Nữ"}


class SocialInsuranceConnector(Connector):
    name = "social_insurance"
    title = "Social insurance: legacy CMND books matched to personal IDs, benefits stopped at death"
    agency = "social-insurance-demo"
    sector = "social_insurance"
    purposes: ClassVar[dict[str, str]] = {"benefits": "benefit_records"}
    tasks: ClassVar[dict[str, int]] = {"lookup_legacy": 8, "match_book": 1, "follow_deaths": 1}
    sample_size: ClassVar[int] = 60
    # CMNDs were issued from age 14 until 2021: their holders are at least in their twenties.
    sample_filters: ClassVar[dict[str, Any]] = {"min_age": 25}
    book_lookups: ClassVar[int] = 8  # lookups at once while the book is opened
    mistyped: ClassVar[float] = 0.03  # share of CMNDs a clerk mistypes at the counter

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.jobs = CleaningJobs(self, "benefits")
        self.book: list[dict[str, str]] = []  # what the legacy system holds per member
        self.matched: dict[str, str] = {}  # book number → personal ID
        self.ambiguous: set[str] = set()  # book numbers whose CMND the registry cannot settle
        self.unmatched: set[str] = set()  # book numbers the registry does not know
        self.stopped: set[str] = set()  # personal IDs whose benefits were stopped
        self.cursor = "latest"
        self._matching = asyncio.Lock()

    async def setup(self) -> None:
        await super().setup()
        gate = asyncio.Semaphore(self.book_lookups)

        async def open_entry(number: int, person: dict[str, Any]) -> dict[str, str] | None:
            async with gate:
                response = await self.get_citizen(
                    person["personal_id"], "benefits", task="open_book"
                )
            if response is None or response.status_code != 200:
                return None
            return self.book_entry(number, json_object(response))

        entries = await asyncio.gather(*(open_entry(n, p) for n, p in enumerate(self.people, 1)))
        self.book = [entry for entry in entries if entry is not None]
        if not self.book:
            raise ConnectorError(
                f"{self.name}: none of {len(self.people)} sampled citizens holds an old CMND"
            )

    async def lookup_legacy(self) -> None:
        """A member comes to the counter with the old card: find their personal ID."""
        entry = self.rng.choice(self.book)
        cmnd = entry["id_number"]
        if self.rng.random() < self.mistyped:
            cmnd = cmnd[:-1] + str((int(cmnd[-1]) + 1) % 10)  # the clerk mistyped it
        response = await self.registry.request(
            "GET",
            f"/v1/citizens/by-legacy-id/{cmnd}",
            route="/v1/citizens/by-legacy-id/{legacy_id}",
            purpose=self.purpose("benefits"),
            task="lookup_legacy",
        )
        if response is None:
            return
        if response.status_code == 404:
            self.unmatched.add(entry["so_bhxh"])
            return
        if response.status_code != 200:
            return
        holders = [c for c in json_object(response).get("citizens", []) if isinstance(c, dict)]
        found = settle(entry, holders)
        if found is not None:
            self.matched[entry["so_bhxh"]] = found
        elif len(holders) > 1:
            self.ambiguous.add(entry["so_bhxh"])
        else:
            self.unmatched.add(entry["so_bhxh"])  # nobody, or someone else: a wrong number

    async def match_book(self) -> None:
        """The whole book as one cleaning job: CMNDs come back as personal IDs."""
        if self._matching.locked():
            return  # one matching run at a time
        async with self._matching:
            book = list(self.book)
            job_id = await self.jobs.submit(
                csv_file(COLUMNS, book), sector="social_insurance", task="match_book"
            )
            if job_id is None:
                return
            state = await self.jobs.wait(job_id, task="match_book")
            if state is None:
                await self.jobs.cancel(job_id, task="match_book")  # try again another day
                return
            if state != "done":
                return
            results = await self.jobs.results(job_id, task="match_book")
            for result in results or []:
                self.file_result(book, result)

    async def follow_deaths(self) -> None:
        """Deaths from the change feed: stop the benefits of members among them."""
        response = await self.registry.request(
            "GET",
            "/v1/events",
            params={"after": self.cursor, "types": "death", "limit": 500},
            purpose=self.purpose("benefits"),
            task="follow_deaths",
        )
        if response is None or response.status_code != 200:
            return
        page = json_object(response)
        self.cursor = str(page.get("next_cursor") or self.cursor)
        members = set(self.matched.values()) | {p["personal_id"] for p in self.people}
        for event in page.get("events", []):
            if isinstance(event, dict) and event.get("personal_id") in members:
                self.stopped.add(str(event["personal_id"]))

    # --- the legacy book ---------------------------------------------------------------------

    def book_entry(self, number: int, member: dict[str, Any]) -> dict[str, str] | None:
        cmnd = member.get("legacy_id")
        if not isinstance(cmnd, str) or len(cmnd) != 9:
            return None
        address = member.get("permanent_address")
        insurance_number = member.get("social_insurance_number")
        return {
            "so_bhxh": str(insurance_number or f"79{number:08d}"),
            "id_number": cmnd,
            "full_name": self.typo(str(member.get("full_name", "")), 0.1),
            "birth_date": dirty.day_first(str(member.get("birth_date", ""))),
            "sex": SEXES.get(str(member.get("sex")), ""),
            "address": str(address.get("address") or "") if isinstance(address, dict) else "",
        }

    def file_result(self, book: list[dict[str, str]], result: dict[str, Any]) -> None:
        number = result.get("row")
        if not isinstance(number, int) or not 1 <= number <= len(book):
            return
        entry = book[number - 1]["so_bhxh"]
        status, personal_id = result.get("status"), result.get("personal_id")
        if status == "not_found":
            ambiguous = result.get("reason") == "ambiguous_legacy_id"
            (self.ambiguous if ambiguous else self.unmatched).add(entry)
            return
        if not isinstance(personal_id, str):
            return  # an invalid row: nothing was compared
        if status == "mismatch" and not born_on_the_day(result):
            self.unmatched.add(entry)  # the CMND found someone else: the book is wrong
            return
        self.matched[entry] = personal_id
        if status == "deceased":
            self.stopped.add(personal_id)


def born_on_the_day(result: dict[str, Any]) -> bool:
    """The row's birth date matched: the citizen found is the member, whatever else differs."""
    fields = result.get("fields")
    verdict = fields.get("birth_date", {}) if isinstance(fields, dict) else {}
    return isinstance(verdict, dict) and verdict.get("verdict") == "match"


def settle(entry: dict[str, str], holders: list[dict[str, Any]]) -> str | None:
    """The one holder of a CMND who is this member: the one born on the book's birth date.

    A number issued twice answers several holders; a mistyped number answers
    someone else. Either way the birth date tells whether the member is among them.
    """
    born = entry["birth_date"]
    same = [h for h in holders if dirty.day_first(str(h.get("birth_date", ""))) == born]
    return str(same[0].get("personal_id")) if len(same) == 1 else None
