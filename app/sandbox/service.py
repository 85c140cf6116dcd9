"""The persona catalogue, and random samples of citizens for simulators."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.models.enums import MaritalStatus, Sex
from app.sandbox import repository
from app.sandbox.errors import InvalidAgeRangeError
from app.sandbox.schemas import CitizenSample, CitizenSampleList, PersonaList, PersonaRead
from seed.personas import PERSONAS

# A sample is drawn as several short id-ordered runs, each from a random id: enough
# runs that neighbours (often one household) do not dominate it, few enough queries.
RUNS = 10
MAX_RUNS = 2 * RUNS
# The first id window of a sample: a few ids per match wanted, at least 64.
FIRST_WINDOW = 64
WINDOW_PER_MATCH = 4


def list_personas(session: Session) -> PersonaList:
    """Personas are the first citizens of every seed (catalogue position = citizen id).

    A persona is listed only if the registry holds it under the catalogued name, so an
    unseeded or foreign database yields an empty list rather than wrong identities.
    """
    ids = list(range(1, len(PERSONAS) + 1))
    stored = repository.citizens_by_id(session, ids)
    personas = []
    for citizen_id, persona in zip(ids, PERSONAS, strict=True):
        found = stored.get(citizen_id)
        if found is None or found[1] != persona.full_name:
            continue
        personas.append(
            PersonaRead(
                key=persona.key,
                personal_id=found[0],
                full_name=found[1],
                tags=list(persona.tags),
                purpose=persona.purpose,
            )
        )
    return PersonaList(personas=personas)


@dataclass(frozen=True, slots=True)
class SampleQuery:
    count: int
    sex: Sex | None = None
    min_age: int | None = None
    max_age: int | None = None
    marital_statuses: tuple[MaritalStatus, ...] = ()
    alive: bool = True
    province: str | None = None
    seed: int | None = None


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def sample_filter(query: SampleQuery, today: date) -> repository.SampleFilter:
    """Ages on ``today`` as birth-date bounds: age ≥ a ⇔ born on or before today − a years."""
    if query.min_age is not None and query.max_age is not None and query.min_age > query.max_age:
        raise InvalidAgeRangeError(
            f"min_age ({query.min_age}) is greater than max_age ({query.max_age})."
        )
    return repository.SampleFilter(
        sex=query.sex,
        born_on_or_before=None if query.min_age is None else years_before(today, query.min_age),
        born_after=None if query.max_age is None else years_before(today, query.max_age + 1),
        marital_statuses=query.marital_statuses,
        alive=query.alive,
        province=query.province,
    )


def sample_citizens(session: Session, query: SampleQuery, today: date) -> CitizenSampleList:
    """Up to ``query.count`` random matching citizens, without sorting the table.

    Each run reads matching citizens in id order from a random id (wrapping round to
    the first id at the end), through id windows sized by how dense matches proved so
    far: a sample costs a few primary-key range scans whatever the size of the
    registry. A citizen is drawn about as often as any other unless matches cluster
    (one after a long stretch of non-matching ids is likelier). Fewer come back only
    when fewer match.
    """
    wanted = sample_filter(query, today)
    rng = random.Random(query.seed)  # noqa: S311 - sampling, not security
    bounds = repository.citizen_id_bounds(session)
    chosen: dict[int, dict[str, Any]] = {}
    if bounds is not None:
        _Draw(session, wanted, bounds).into(chosen, query.count, rng)
    rows = list(chosen.values())[: query.count]
    rng.shuffle(rows)
    return CitizenSampleList(citizens=[CitizenSample.model_validate(row) for row in rows])


class _Draw:
    """Runs of matching citizens from random ids, learning how sparse matches are."""

    def __init__(
        self, session: Session, wanted: repository.SampleFilter, bounds: tuple[int, int]
    ) -> None:
        self.session, self.wanted = session, wanted
        self.low, self.high = bounds
        self.scanned = self.found = 0

    def into(self, chosen: dict[int, dict[str, Any]], count: int, rng: random.Random) -> None:
        run = max(1, -(-count // RUNS))
        for _ in range(MAX_RUNS):
            need = min(run, count - len(chosen))
            if need <= 0:
                return
            rows = self.run(rng.randint(self.low, self.high), need)
            chosen.update((row["id"], row) for row in rows)
            if len(rows) < need:
                return  # fewer than ``need`` match at all: ``chosen`` holds every one
        if len(chosen) < count:
            # Runs overlapped (few citizens match): one run as long as the sample fills it.
            for row in self.run(rng.randint(self.low, self.high), count):
                if len(chosen) >= count:
                    return
                chosen.setdefault(row["id"], row)

    def run(self, start: int, need: int) -> list[dict[str, Any]]:
        """Up to ``need`` matches in id order from ``start``, then from the first id on."""
        rows = self.scan(start, self.high + 1, need)
        if len(rows) < need:
            rows += self.scan(self.low, start, need - len(rows))
        return rows

    def scan(self, begin: int, end: int, need: int) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while begin < end and len(rows) < need:
            stop = min(end, begin + self.window(need - len(rows)))
            found = repository.sample_window(
                self.session, self.wanted, begin, stop, need - len(rows)
            )
            rows += found
            if len(rows) == need:
                stop = int(found[-1]["id"]) + 1  # read up to the last match, no further
            self.scanned += stop - begin
            self.found += len(found)
            begin = stop
        return rows

    def window(self, need: int) -> int:
        """Ids to read for ``need`` more matches: twice what the density seen so far says.

        Before the first match, each window is three times all ids read so far, so a
        rare filter reaches the end of a million-row table in a handful of queries.
        """
        if self.found == 0:
            return max(FIRST_WINDOW, WINDOW_PER_MATCH * need, 3 * self.scanned)
        return max(FIRST_WINDOW, 2 * need * self.scanned // self.found)
