"""``popreg simulate life``: a steady stream of plausible life events through the HTTP API.

For workshops: while it runs, the registry is alive. Babies are born to mothers
aged 18-45 (fathered by their husbands), the old die, couples marry and divorce,
people move, lose their cards and change their names, each recorded by a civil
registry agency through ``/v1/civil/*`` exactly as a real one would, so the change
feed and webhooks carry them. Subjects come from ``GET /v1/sandbox/citizens/sample``
(admin token) in batches; requests are paced evenly to ``--rate``.

The mix follows Vietnam's yearly volumes (approximations, about 100 M people; a
marriage or a divorce is one operation and two events, one per spouse):

=================  ========  =======  =================================================
operation          per year  share    basis
=================  ========  =======  =================================================
card re-issue      5.0 M     46.3 %   identity cards renewed at 25, 40 and 60 (about
                                      1.4 M people per age cohort) plus lost and
                                      damaged cards; an estimate, not a published figure
residence change   3.0 M     27.8 %   registrations of a new permanent or temporary
                                      residence; estimate from GSO internal-migration
                                      rates (about 3 % of the population a year)
birth              1.4 M     13.0 %   crude birth rate about 14 per 1,000 (GSO,
                                      Population Change and Family Planning Survey)
marriage           0.65 M     6.0 %   marriage registrations, Ministry of Justice
                                      civil-status statistics (rounded)
death              0.62 M     5.7 %   crude death rate about 6.2 per 1,000 (GSO);
                                      births / deaths = 2.26
divorce            0.06 M     0.6 %   divorces settled by the courts a year (Supreme
                                      People's Court reports, rounded)
name change        0.05 M     0.5 %   changes of given or family name (estimate)
ID correction      0.01 M     0.1 %   personal IDs re-issued for a wrongly recorded
                                      birth year (guess: rare by design)
=================  ========  =======  =================================================

Refusals (409/422, and 404 when an ID just changed) are counted, not fatal: a run
races with itself and with other users. 429 and 5xx answers and connection errors
are retried with backoff, honouring ``Retry-After``, under the same
``Idempotency-Key``. Everything here is an HTTP client: it works against any server.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import re
import secrets
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Annotated, Any

import httpx
import numpy as np
import typer
from rich.console import Console
from rich.progress import Progress, TextColumn
from rich.table import Column, Table

from app.agencies.keys import demo_api_key
from app.config import DEFAULT_ADMIN_TOKEN
from app.identity.provinces import PROVINCES
from seed.addresses import draw_migration_wards, street_parts
from seed.names import given_and_middle
from seed.reference import ethnic_groups, kinh_names, places, provinces, wards

# Operations per year (millions), by event type; see the table above.
YEARLY_MILLIONS: dict[str, float] = {
    "card_reissue": 5.0,
    "residence_change": 3.0,
    "birth": 1.4,
    "marriage": 0.65,
    "death": 0.62,
    "divorce": 0.06,
    "name_change": 0.05,
    "id_correction": 0.01,
}
KINDS = tuple(YEARLY_MILLIONS)
PATHS = {
    "birth": "/v1/civil/births",
    "death": "/v1/civil/deaths",
    "residence_change": "/v1/civil/residence-changes",
    "marriage": "/v1/civil/marriages",
    "divorce": "/v1/civil/divorces",
    "name_change": "/v1/civil/name-changes",
    "card_reissue": "/v1/civil/card-reissues",
    "id_correction": "/v1/civil/id-corrections",
}
LABELS = {
    "birth": "births",
    "death": "deaths",
    "residence_change": "moves",
    "marriage": "marriages",
    "divorce": "divorces",
    "name_change": "names",
    "card_reissue": "cards",
    "id_correction": "IDs",
}
UNMARRIED = ["single", "divorced", "widowed"]
# Who each operation draws its subjects from: sample filters, and the share of the
# operation's draws that use the pool (to size the batches fetched).
POOLS: dict[str, dict[str, Any]] = {
    "wives": {"sex": "female", "min_age": 18, "max_age": 45, "marital_status": ["married"]},
    "unwed_mothers": {"sex": "female", "min_age": 18, "max_age": 45, "marital_status": UNMARRIED},
    "elderly": {"min_age": 60},
    "anyone": {},
    "grooms": {"sex": "male", "min_age": 20, "max_age": 45, "marital_status": UNMARRIED},
    "brides": {"sex": "female", "min_age": 18, "max_age": 40, "marital_status": UNMARRIED},
    "husbands": {"sex": "male", "min_age": 20, "marital_status": ["married"]},
    "card_holders": {"min_age": 14},
    "adults": {"min_age": 18},
}
POOL_USE: dict[str, dict[str, float]] = {
    "birth": {"wives": 0.92, "unwed_mothers": 0.08},
    "death": {"elderly": 0.8, "anyone": 0.2},
    "residence_change": {"anyone": 1.0},
    "marriage": {"grooms": 1.0, "brides": 1.0},
    "divorce": {"husbands": 1.0},
    "name_change": {"anyone": 1.0},
    "card_reissue": {"card_holders": 1.0},
    "id_correction": {"adults": 1.0},
}
BOYS_PER_GIRL = 1.12  # sex ratio at birth (GSO: about 112 boys per 100 girls)
BIRTH_PLACES = (
    ("Bệnh viện Phụ sản {province}", 0.35),
    ("Bệnh viện Đa khoa tỉnh {province}", 0.35),
    ("Trung tâm Y tế huyện, {province}", 0.2),
    ("Trạm Y tế xã, {province}", 0.1),
)
DEATH_PLACES = ("Tại nơi cư trú", "Bệnh viện Đa khoa tỉnh", "Trung tâm Y tế huyện")
RESIDENCE_KINDS = (("permanent", 0.7), ("temporary", 0.2), ("current", 0.1))
CARD_REASONS = (("expired", 0.5), ("lost", 0.3), ("damaged", 0.2))
NAME_REASONS = ("Thay đổi tên theo yêu cầu (Điều 28 Bộ luật Dân sự 2015)", "Cải chính hộ tịch")

MAX_RATE = 1000.0  # operations per second
MAX_ATTEMPTS = 5
MAX_DELAY = 30.0  # seconds between attempts, at most
DRY_SECONDS = 10.0  # a pool that sampled nobody usable rests this long
SAMPLE_PATH = "/v1/sandbox/citizens/sample"
TIMEOUT = httpx.Timeout(30.0, connect=5.0)

RATE = re.compile(r"(\d+(?:\.\d+)?)/(s|m|h)")
DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}


def parse_rate(text: str) -> float:
    """``5/s``, ``300/m`` or ``1000/h``: operations per second."""
    match = RATE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a rate; write a number per s, m or h: 5/s, 300/m.")
    per_second = float(match[1]) / UNIT_SECONDS[match[2]]
    if per_second <= 0 or per_second > MAX_RATE:
        raise ValueError(f"{text!r}: the rate must be above 0 and at most {MAX_RATE:.0f}/s.")
    return per_second


def parse_duration(text: str) -> float:
    """``90s``, ``10m``, ``1h`` or ``1h30m``: seconds."""
    match = DURATION.fullmatch(text.strip())
    if match is None or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration; write e.g. 90s, 10m, 1h or 1h30m.")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise ValueError(f"{text!r}: the duration must be longer than zero.")
    return float(total)


@dataclass(frozen=True, slots=True)
class SimulationOptions:
    url: str = "http://127.0.0.1:8000"
    api_key: str = field(default_factory=lambda: demo_api_key("civil-registry-demo").secret)
    admin_token: str = DEFAULT_ADMIN_TOKEN
    purpose: str = "civil_status"
    rate: float = 5.0  # operations per second
    duration: float = 600.0  # seconds
    seed: int | None = None
    concurrency: int = 4
    province: str | None = None  # only citizens whose personal ID starts with it


@dataclass
class Tally:
    """What a run did, per operation kind; read live by the progress line."""

    recorded: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)  # nobody suitable to sample
    refusal_codes: Counter[str] = field(default_factory=Counter)
    error_codes: Counter[str] = field(default_factory=Counter)
    events: int = 0  # life events recorded (a marriage records two)
    retries: int = 0
    samples: int = 0
    started: float = field(default_factory=time.monotonic)
    elapsed: float = 0.0
    aborted: str | None = None

    @property
    def answered(self) -> int:
        return sum(self.recorded.values()) + sum(self.refused.values()) + sum(self.errors.values())

    def rate(self) -> float:
        elapsed = self.elapsed or (time.monotonic() - self.started)
        return self.answered / elapsed if elapsed > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Candidate:
    personal_id: str
    full_name: str
    sex: str
    birth_date: date
    marital_status: str
    spouse_personal_id: str | None
    spouse_full_name: str | None


@dataclass(frozen=True, slots=True)
class Plan:
    """One request to make, and what to remember if it is recorded."""

    kind: str
    body: dict[str, Any]
    on_recorded: Callable[[], None] = lambda: None


class Aborted(Exception):
    """The server refuses the run itself (credentials, purpose, wrong URL)."""


class GaveUp(Exception):
    """Retries exhausted on 429, 5xx or connection errors."""


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), if the answer carries one."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return min(MAX_DELAY, max(0.0, float(value)))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(MAX_DELAY, max(0.0, (moment - datetime.now(UTC)).total_seconds()))


def _problem(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "code" in body:
        return str(body["code"]), str(body.get("detail") or "")
    return f"HTTP_{response.status_code}", response.text.strip()[:200]


class RegistryApi:
    """The calls a simulation makes, with retries; counts retries and samples in ``tally``."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        options: SimulationOptions,
        tally: Tally,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._client, self._options, self._tally, self._sleep = client, options, tally, sleep
        self._run_id = secrets.token_hex(4)
        self._sent = 0
        self._jitter = random.Random()  # noqa: S311 - backoff jitter

    async def check(self) -> None:
        """Fail fast: the server answers, knows the key, and its purpose may register."""
        headers = {"X-API-Key": self._options.api_key}
        try:
            response = await self._request("GET", "/v1/agencies/me", headers=headers)
        except GaveUp as error:
            raise Aborted(f"No answer from {self._client.base_url} ({error}).") from None
        if response.status_code != 200:
            code, detail = _problem(response)
            raise Aborted(f"{code} (HTTP {response.status_code}) for the API key: {detail}")
        purposes = {p["code"]: p["operations"] for p in response.json().get("purposes", [])}
        if "register" not in purposes.get(self._options.purpose, []):
            raise Aborted(
                f"Purpose {self._options.purpose!r} of this key does not allow registering "
                f"life events (purposes: {', '.join(purposes) or 'none'}); use a civil "
                "registry's key, e.g. the demo one (popreg agency demo)."
            )

    async def sample(self, filters: dict[str, Any]) -> list[Candidate]:
        params = dict(filters)
        if self._options.province is not None:
            params["province"] = self._options.province
        headers = {"Authorization": f"Bearer {self._options.admin_token}"}
        response = await self._request("GET", SAMPLE_PATH, params=params, headers=headers)
        self._tally.samples += 1
        if response.status_code != 200:
            code, detail = _problem(response)
            raise Aborted(f"{code} (HTTP {response.status_code}) sampling citizens: {detail}")
        return [
            Candidate(
                personal_id=row["personal_id"],
                full_name=row["full_name"],
                sex=row["sex"],
                birth_date=date.fromisoformat(row["birth_date"]),
                marital_status=row["marital_status"],
                spouse_personal_id=row["spouse_personal_id"],
                spouse_full_name=row.get("spouse_full_name"),
            )
            for row in response.json()["citizens"]
        ]

    async def record(self, kind: str, body: dict[str, Any]) -> httpx.Response:
        self._sent += 1
        headers = {
            "X-API-Key": self._options.api_key,
            "X-Purpose": self._options.purpose,
            "Idempotency-Key": f"sim-{self._run_id}-{self._sent:07d}",
        }
        return await self._request("POST", PATHS[kind], json=body, headers=headers)

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(MAX_ATTEMPTS):
            last = attempt == MAX_ATTEMPTS - 1
            try:
                response = await self._client.request(method, path, **kwargs)
            except httpx.TransportError as error:
                if last:
                    raise GaveUp(type(error).__name__) from error
                delay = None
            else:
                if response.status_code != 429 and response.status_code < 500:
                    return response
                if last:
                    code, _ = _problem(response)
                    raise GaveUp(code)
                delay = retry_after(response)
            if delay is None:
                delay = min(MAX_DELAY, 0.5 * 2**attempt) * (0.5 + self._jitter.random() / 2)
            self._tally.retries += 1
            await self._sleep(delay)
        raise AssertionError("unreachable")


class Pools:
    """Sampled candidates per pool, fetched in batches ahead of need, each used at most once."""

    def __init__(self, api: RegistryApi, rate: float, rng: random.Random, tally: Tally) -> None:
        self._api, self._rng, self._tally = api, rng, tally
        self._queues: dict[str, deque[Candidate]] = {name: deque() for name in POOLS}
        self._locks = {name: asyncio.Lock() for name in POOLS}
        self._dry_until: dict[str, float] = {}
        self._ahead: set[asyncio.Task[None]] = set()
        # About a minute of use per batch, between 10 and 500 (the endpoint's limit).
        shares = _shares()
        per_second = {
            name: rate * sum(shares[kind] * use.get(name, 0.0) for kind, use in POOL_USE.items())
            for name in POOLS
        }
        self._batch = {name: min(500, max(10, round(60 * n))) for name, n in per_second.items()}

    async def fill(self) -> None:
        """Every pool's first batch, before the clock starts."""
        await asyncio.gather(*(self._fetch_ahead(name, below=1) for name in POOLS))

    async def take(self, name: str, usable: Callable[[Candidate], bool]) -> Candidate | None:
        found = self._pop(name, usable)
        if found is None and time.monotonic() >= self._dry_until.get(name, 0.0):
            await self._fetch(name, below=1)
            found = self._pop(name, usable)
            if found is None:
                self._dry_until[name] = time.monotonic() + DRY_SECONDS
        if len(self._queues[name]) < self._batch[name] // 4 and not self._locks[name].locked():
            # Fetch the next batch before the pool runs dry, so no request waits for it.
            task = asyncio.create_task(self._fetch_ahead(name, self._batch[name] // 4))
            self._ahead.add(task)
            task.add_done_callback(self._ahead.discard)
        return found

    async def close(self) -> None:
        for task in self._ahead:
            task.cancel()
        await asyncio.gather(*self._ahead, return_exceptions=True)

    async def _fetch(self, name: str, below: int) -> None:
        async with self._locks[name]:
            resting = time.monotonic() < self._dry_until.get(name, 0.0)
            if resting or len(self._queues[name]) >= below:
                return  # resting, or filled meanwhile
            filters = {**POOLS[name], "count": self._batch[name], "seed": self._rng.getrandbits(31)}
            self._queues[name].extend(await self._api.sample(filters))

    async def _fetch_ahead(self, name: str, below: int) -> None:
        try:
            await self._fetch(name, below)
        except GaveUp:
            pass  # the next take that finds the pool empty tries again
        except Aborted as error:
            self._tally.aborted = self._tally.aborted or str(error)

    def _pop(self, name: str, usable: Callable[[Candidate], bool]) -> Candidate | None:
        queue = self._queues[name]
        while queue:
            candidate = queue.popleft()
            if usable(candidate):
                return candidate
        return None


@cache
def _shares() -> dict[str, float]:
    total = sum(YEARLY_MILLIONS.values())
    return {kind: volume / total for kind, volume in YEARLY_MILLIONS.items()}


def _load_reference() -> None:
    """Read the seed's name and address tables now, not during the first requests."""
    provinces(), wards(), places(), kinh_names(), ethnic_groups()


@cache
def _kinh() -> int:
    names, _ = ethnic_groups()
    return int(np.flatnonzero(names == "Kinh")[0])


def _weighted(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    values = [value for value, _ in choices]
    return rng.choices(values, [weight for _, weight in choices])[0]


def _given_names(npr: np.random.Generator, sex: str, birth_year: int) -> str:
    middle, given = given_and_middle(
        npr, np.array([_kinh()]), np.array([sex == "male"]), np.array([birth_year])
    )
    return f"{middle[0]} {given[0]}"


def _province_index(personal_id: str) -> int:
    """Index in the seed's province table of the ID's birth-registration province."""
    return provinces().index.get(personal_id[:3], 0)


def _years_from(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class Simulator:
    """Draws operations in the mix, paces them to the rate, sends them, tallies answers."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        options: SimulationOptions,
        *,
        tally: Tally | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.options = options
        self.tally = tally if tally is not None else Tally()
        self._rng = random.Random(options.seed)  # noqa: S311 - simulation, not security
        self._api = RegistryApi(client, options, self.tally, sleep)
        pool_rng = random.Random(self._rng.getrandbits(64))  # noqa: S311
        self._pools = Pools(self._api, options.rate, pool_rng, self.tally)
        self._shares = _shares()
        self._weights = [self._shares[kind] for kind in KINDS]
        self._gone: set[str] = set()  # died or got a new personal ID
        self._status_changed: set[str] = set()  # married, divorced or widowed in this run
        self._used: dict[str, set[str]] = {kind: set() for kind in KINDS}

    async def run(self) -> Tally:
        """Send operations until the duration is over (or the server refuses the run)."""
        loop = asyncio.get_running_loop()
        interval = 1.0 / self.options.rate
        self.tally.started = time.monotonic()
        slots = asyncio.Semaphore(self.options.concurrency)
        try:
            try:
                await self._api.check()
            except Aborted as error:
                self.tally.aborted = str(error)
                return self.tally
            _load_reference()
            await self._pools.fill()
            # The clock starts once the first subjects are at hand.
            started = loop.time()
            deadline = started + self.options.duration
            self.tally.started = time.monotonic()
            async with asyncio.TaskGroup() as group:
                next_at = started
                while self.tally.aborted is None and next_at < deadline:
                    if next_at > loop.time():
                        await asyncio.sleep(next_at - loop.time())
                    await slots.acquire()
                    sent_at = loop.time()
                    if self.tally.aborted is not None or sent_at >= deadline:
                        slots.release()
                        break
                    kind = self._rng.choices(KINDS, self._weights)[0]
                    group.create_task(self._operation(slots, kind, self._rng.getrandbits(64)))
                    next_at += interval
                    if next_at < sent_at:
                        # Behind (the server is slower than the rate): go on evenly from
                        # now rather than catch up in a burst.
                        next_at = sent_at + interval
        finally:
            await self._pools.close()
            self.tally.elapsed = time.monotonic() - self.tally.started
        return self.tally

    async def _operation(self, slots: asyncio.Semaphore, kind: str, seed: int) -> None:
        plan = None
        try:
            plan = await self._plan(kind, seed)
            if plan is not None:
                await self._send(plan)
        except Aborted as error:
            self.tally.aborted = self.tally.aborted or str(error)
        except GaveUp as error:
            self.tally.errors[plan.kind if plan is not None else kind] += 1
            self.tally.error_codes[str(error)] += 1
        finally:
            slots.release()

    async def _plan(self, kind: str, seed: int) -> Plan | None:
        """A request for ``kind``, or (nobody suitable) for up to two other kinds."""
        rng = random.Random(seed)  # noqa: S311
        npr = np.random.default_rng(seed)
        tried = [kind]
        while True:
            plan = await self._build(tried[-1], rng, npr)
            if plan is not None:
                return plan
            self.tally.skipped[tried[-1]] += 1
            others = [k for k in KINDS if k not in tried]
            if len(tried) == 3 or not others:
                return None
            tried.append(rng.choices(others, [self._shares[k] for k in others])[0])

    async def _send(self, plan: Plan) -> None:
        response = await self._api.record(plan.kind, plan.body)
        status = response.status_code
        if status == 201:
            self.tally.recorded[plan.kind] += 1
            self.tally.events += len(response.json().get("events", []))
            plan.on_recorded()
            return
        code, detail = _problem(response)
        if status in (400, 401, 403) or (status == 404 and code != "CITIZEN_NOT_FOUND"):
            raise Aborted(f"{code} (HTTP {status}) from {PATHS[plan.kind]}: {detail}")
        if status in (404, 409, 422) and code not in ("VALIDATION_FAILED", "MALFORMED_JSON"):
            self.tally.refused[plan.kind] += 1
            self.tally.refusal_codes[code] += 1
        else:  # a request this simulator should not have made
            self.tally.errors[plan.kind] += 1
            self.tally.error_codes[code] += 1

    # Subjects ---------------------------------------------------------------------------

    async def _take(
        self, pool: str, kind: str, fits: Callable[[Candidate], bool] = lambda c: True
    ) -> Candidate | None:
        used = self._used[kind]

        def usable(c: Candidate) -> bool:
            return c.personal_id not in self._gone and c.personal_id not in used and fits(c)

        candidate = await self._pools.take(pool, usable)
        if candidate is not None:
            used.add(candidate.personal_id)
        return candidate

    def _free(self, personal_id: str | None) -> bool:
        """Alive, same ID and same marital status as when sampled, as far as this run knows."""
        return (
            personal_id is not None
            and personal_id not in self._gone
            and personal_id not in self._status_changed
        )

    # Operations -------------------------------------------------------------------------

    async def _build(self, kind: str, rng: random.Random, npr: np.random.Generator) -> Plan | None:
        today = datetime.now(UTC).date()
        builders = {
            "birth": self._birth,
            "death": self._death,
            "residence_change": self._move,
            "marriage": self._marriage,
            "divorce": self._divorce,
            "name_change": self._rename,
            "card_reissue": self._card,
            "id_correction": self._id_correction,
        }
        return await builders[kind](rng, npr, today)

    async def _birth(
        self, rng: random.Random, npr: np.random.Generator, today: date
    ) -> Plan | None:
        married = rng.random() < POOL_USE["birth"]["wives"]
        mother = await self._take(
            "wives" if married else "unwed_mothers",
            "birth",
            lambda c: (
                c.personal_id[:3] in PROVINCES
                and self._free(c.personal_id)
                and (not married or self._free(c.spouse_personal_id))
            ),
        )
        if mother is None:
            return None
        father = mother.spouse_personal_id if married else None
        born = today - timedelta(days=rng.randint(0, 1))
        sex = "male" if rng.random() < BOYS_PER_GIRL / (1 + BOYS_PER_GIRL) else "female"
        province = mother.personal_id[:3]
        # A child takes the father's family name, or the mother's (Civil Code 2015, Art. 26).
        parent = mother.spouse_full_name if father and rng.random() < 0.97 else mother.full_name
        surname = (parent or mother.full_name).split()[0]
        place = _weighted(rng, BIRTH_PLACES).format(province=PROVINCES[province])
        body = {
            "full_name": f"{surname} {_given_names(npr, sex, born.year)}",
            "sex": sex,
            "birth_date": born.isoformat(),
            "place_of_birth": place,
            "birth_registration_province": province,
            "mother_personal_id": mother.personal_id,
            "father_personal_id": father,
        }
        return Plan("birth", body)

    async def _death(
        self, rng: random.Random, npr: np.random.Generator, today: date
    ) -> Plan | None:
        pool = "elderly" if rng.random() < POOL_USE["death"]["elderly"] else "anyone"
        deceased = await self._take(pool, "death")
        if deceased is None:
            return None

        def recorded() -> None:
            self._gone.add(deceased.personal_id)
            if deceased.spouse_personal_id:
                self._status_changed.add(deceased.spouse_personal_id)  # now widowed

        body = {
            "personal_id": deceased.personal_id,
            "death_date": today.isoformat(),
            "place_of_death": rng.choice(DEATH_PLACES),
        }
        return Plan("death", body, recorded)

    async def _move(self, rng: random.Random, npr: np.random.Generator, today: date) -> Plan | None:
        mover = await self._take("anyone", "residence_change")
        if mover is None:
            return None
        # Half the moves stay in the province; the others go where migrants go.
        if rng.random() < 0.5:
            ward = int(wards().draw_in(npr, np.array([_province_index(mover.personal_id)]))[0])
        else:
            ward = int(draw_migration_wards(npr, 1)[0])
        body = {
            "personal_id": mover.personal_id,
            "kind": _weighted(rng, RESIDENCE_KINDS),
            "street": street_parts(npr, np.array([ward]))[0],
            "legacy_ward_code": str(wards().legacy_codes[ward]),
            "moved_on": today.isoformat(),
        }
        return Plan("residence_change", body)

    async def _marriage(
        self, rng: random.Random, npr: np.random.Generator, today: date
    ) -> Plan | None:
        groom = await self._take("grooms", "marriage", lambda c: self._free(c.personal_id))
        if groom is None:
            return None
        bride = await self._take("brides", "marriage", lambda c: self._free(c.personal_id))
        if bride is None:
            return None
        couple = [groom.personal_id, bride.personal_id]
        body = {"spouses": couple, "married_on": today.isoformat()}
        return Plan("marriage", body, lambda: self._status_changed.update(couple))

    async def _divorce(
        self, rng: random.Random, npr: np.random.Generator, today: date
    ) -> Plan | None:
        husband = await self._take(
            "husbands",
            "divorce",
            lambda c: self._free(c.personal_id) and self._free(c.spouse_personal_id),
        )
        if husband is None or husband.spouse_personal_id is None:
            return None
        couple = [husband.personal_id, husband.spouse_personal_id]
        body = {"spouses": couple, "divorced_on": today.isoformat()}
        return Plan("divorce", body, lambda: self._status_changed.update(couple))

    async def _rename(
        self, rng: random.Random, npr: np.random.Generator, today: date
    ) -> Plan | None:
        subject = await self._take("anyone", "name_change")
        if subject is None:
            return None
        # Most changes are of the given name: the family name stays.
        surname = subject.full_name.split()[0]
        body = {
            "personal_id": subject.personal_id,
            "full_name": f"{surname} {_given_names(npr, subject.sex, subject.birth_date.year)}",
            "changed_on": today.isoformat(),
            "reason": rng.choice(NAME_REASONS),
        }
        return Plan("name_change", body)

    async def _card(self, rng: random.Random, npr: np.random.Generator, today: date) -> Plan | None:
        holder = await self._take("card_holders", "card_reissue")
        if holder is None:
            return None
        body = {
            "personal_id": holder.personal_id,
            "reason": _weighted(rng, CARD_REASONS),
            "issued_on": today.isoformat(),
        }
        return Plan("card_reissue", body)

    async def _id_correction(
        self, rng: random.Random, npr: np.random.Generator, today: date
    ) -> Plan | None:
        subject = await self._take("adults", "id_correction")
        if subject is None:
            return None
        corrected = _years_from(subject.birth_date, rng.choice((-1, 1)))
        if corrected > today:
            corrected = _years_from(subject.birth_date, -1)
        body = {
            "personal_id": subject.personal_id,
            "reason": "wrong_birth_year",
            "birth_date": corrected.isoformat(),
            "corrected_on": today.isoformat(),
        }
        return Plan("id_correction", body, lambda: self._gone.add(subject.personal_id))


# Running it -------------------------------------------------------------------------------


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{rest:02d}"


def _live_line(tally: Tally, options: SimulationOptions) -> str:
    elapsed = tally.elapsed or min(time.monotonic() - tally.started, options.duration)
    return f"{_clock(elapsed)}/{_clock(options.duration)} │ {progress_line(tally)}"


def progress_line(tally: Tally) -> str:
    counts = " ".join(f"{LABELS[k]} {tally.recorded[k]:,}" for k in KINDS)
    refused, errors = sum(tally.refused.values()), sum(tally.errors.values())
    error_text = f"[red]errors {errors:,}[/red]" if errors else "errors 0"
    # Rate and failures first: a narrow terminal cuts the line's end, the rare kinds.
    return f"{tally.rate():.2f}/s │ refused {refused:,} │ {error_text} │ {counts}"


async def simulate(
    options: SimulationOptions,
    *,
    client: httpx.AsyncClient | None = None,
    console: Console | None = None,
    tally: Tally | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Tally:
    """Run a simulation; with ``console``, a live progress line. ``client``: injected
    (e.g. over ``httpx.ASGITransport``), else one for ``options.url``. ``tally`` is
    counted into as the run goes, so an interrupted run can still be summed up."""
    if client is None:
        limits = httpx.Limits(max_connections=options.concurrency + 2)
        async with httpx.AsyncClient(base_url=options.url, timeout=TIMEOUT, limits=limits) as own:
            return await simulate(options, client=own, console=console, tally=tally, sleep=sleep)
    simulator = Simulator(client, options, tally=tally, sleep=sleep)
    if console is None:
        return await simulator.run()
    # One text column: a narrow terminal cuts the line's end (the rare kinds), nothing else.
    column = TextColumn(
        "{task.fields[line]}", table_column=Column(no_wrap=True, overflow="ellipsis")
    )
    with Progress(column, console=console, refresh_per_second=4) as bar:
        task = bar.add_task("simulate", line="starting…")
        running = asyncio.create_task(simulator.run())
        try:
            while not running.done():
                bar.update(task, line=_live_line(simulator.tally, options))
                await asyncio.wait({running}, timeout=0.25)
        finally:
            if not running.done():
                running.cancel()
                await asyncio.gather(running, return_exceptions=True)
        bar.update(task, line=_live_line(simulator.tally, options))
    return running.result()


def summary_table(tally: Tally, options: SimulationOptions) -> Table:
    shares = _shares()
    answered = max(tally.answered, 1)
    table = Table(
        title=f"{tally.answered:,} operations in {tally.elapsed:,.1f} s: "
        f"{tally.rate():.2f}/s (asked {options.rate:g}/s)",
        caption=f"{tally.events:,} life events recorded · {tally.retries:,} retries · "
        f"{tally.samples:,} sample calls",
    )
    for name in ("operation", "mix", "share", "recorded", "refused", "errors", "no subject"):
        table.add_column(name, justify="left" if name == "operation" else "right")
    for kind in KINDS:
        done = tally.recorded[kind] + tally.refused[kind] + tally.errors[kind]
        table.add_row(
            LABELS[kind],
            f"{shares[kind]:.1%}",
            f"{done / answered:.1%}",
            f"{tally.recorded[kind]:,}",
            f"{tally.refused[kind]:,}",
            f"{tally.errors[kind]:,}",
            f"{tally.skipped[kind]:,}",
        )
    table.add_section()
    table.add_row(
        "[bold]total[/bold]",
        "100%",
        "100%" if tally.answered else "-",
        f"{sum(tally.recorded.values()):,}",
        f"{sum(tally.refused.values()):,}",
        f"{sum(tally.errors.values()):,}",
        f"{sum(tally.skipped.values()):,}",
    )
    if tally.refusal_codes or tally.error_codes:
        table.add_section()
        for code, n in tally.refusal_codes.most_common(5):
            table.add_row(f"  {code}", "", "", "", f"{n:,}", "", "")
        for code, n in tally.error_codes.most_common(5):
            table.add_row(f"  {code}", "", "", "", "", f"{n:,}", "")
    return table


simulate_cli = typer.Typer(
    help="Simulate activity against a running popreg server.",
    rich_markup_mode="rich",
    no_args_is_help=True,
)


@simulate_cli.command("life")
def life(
    url: Annotated[str, typer.Option(envvar="POPREG_URL", help="The API.")] = (
        "http://127.0.0.1:8000"
    ),
    rate: Annotated[
        str, typer.Option(help="Operations per second, minute or hour: 5/s, 300/m, 1000/h.")
    ] = "5/s",
    duration: Annotated[str, typer.Option(help="How long: 90s, 10m, 1h, 1h30m.")] = "10m",
    seed: Annotated[
        int | None,
        typer.Option(
            help="Repeat a run: the same operations and details (and, on the same registry "
            "state with --concurrency 1, the same citizens)."
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Requests in flight at most.")
    ] = 4,
    province: Annotated[
        str | None,
        typer.Option(help="Only citizens whose personal ID starts with this province code."),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            envvar="POPREG_API_KEY",
            help="A civil-registry agency's key; default: the demo civil registry's.",
            show_default=False,
        ),
    ] = None,
    admin_token: Annotated[
        str,
        typer.Option(
            envvar="POPREG_ADMIN_TOKEN",
            help="Admin token, to sample citizens; default: the sandbox's.",
            show_default=False,
        ),
    ] = DEFAULT_ADMIN_TOKEN,
    purpose: Annotated[str, typer.Option(help="The agency's purpose that registers.")] = (
        "civil_status"
    ),
) -> None:
    """Generate a stream of plausible life events through the API, paced to [cyan]--rate[/cyan].

    Births, deaths, moves, marriages, divorces, name changes, card re-issues and ID corrections,
    in the proportions of Vietnam's yearly figures, for citizens sampled from the registry.

    Example: [cyan]popreg simulate life --rate 5/s --duration 10m[/cyan]
    """
    try:
        per_second = parse_rate(rate)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--rate") from None
    try:
        seconds = parse_duration(duration)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--duration") from None
    if province is not None and province not in PROVINCES:
        raise typer.BadParameter(f"{province!r} is not a province code.", param_hint="--province")
    options = SimulationOptions(
        url=url,
        api_key=api_key or demo_api_key("civil-registry-demo").secret,
        admin_token=admin_token,
        purpose=purpose,
        rate=per_second,
        duration=seconds,
        seed=seed,
        concurrency=concurrency,
        province=province,
    )
    err, out = Console(stderr=True), Console()
    tally = Tally()
    try:
        asyncio.run(simulate(options, console=err, tally=tally))
    except KeyboardInterrupt:
        out.print(summary_table(tally, options))
        err.print("[yellow]Interrupted.[/yellow]")
        raise typer.Exit(130) from None
    if tally.aborted and not tally.answered:
        err.print(f"[red]Nothing sent:[/red] {tally.aborted}")
        raise typer.Exit(1)
    out.print(summary_table(tally, options))
    if tally.aborted:
        err.print(f"[red]Stopped early:[/red] {tally.aborted}")
        raise typer.Exit(1)
