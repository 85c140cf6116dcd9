"""Life events end to end: civil-registry writes per second and webhook delivery lag.

    .venv/bin/python bench/events.py [--citizens 100000] [--events 3000] [--concurrency 8]
        [--backend sqlite|postgresql]

1. Seeds a registry of --citizens citizens plus the demo agencies once
   (var/bench/events-<citizens>.db, or a PostgreSQL template database) and serves a
   scratch copy with `popreg serve` (rate limits and access log off).
2. Three agencies subscribe a webhook receiver on loopback: the bank (deaths and name
   changes of everyone), social insurance (deaths, moves, names, ID corrections) and the
   civil registry itself (every type). A purpose gets only the events it can read
   something of (social insurance reads permanent addresses, so not these moves).
3. Records --events changes (moves 60 %, name changes 30 %, deaths 10 %, each on a
   different living adult) through the API with --concurrency requests in flight, then
   waits until every delivery owed has arrived.
4. Prints a Markdown table for docs/benchmarks.md: writes/s and their p50/p99 latency;
   deliveries/s and the lag from an event's `recorded_at` to its arrival, p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from statistics import quantiles
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORK = ROOT / "var" / "bench"
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]
sys.path.insert(0, str(ROOT))

from app.agencies.keys import demo_api_key  # noqa: E402
from seed.load import ensure_registry  # noqa: E402
from seed.reference import wards  # noqa: E402

PORT = 8112
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SUBSCRIBERS = {
    "phusa-bank": ("kyc_refresh", ["death", "name_change"]),
    "social-insurance-demo": (
        "benefit_records",
        ["death", "residence_change", "name_change", "id_correction"],
    ),
    "civil-registry-demo": (
        "civil_status",
        ["birth", "death", "widowhood", "residence_change", "marriage", "divorce", "name_change"],
    ),
}
MIX = [("residence_change", 0.6), ("name_change", 0.3), ("death", 0.1)]


class Receiver:
    """Records when each delivery arrived and the event's recorded_at."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.arrivals: list[float] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                now = time.time()
                recorded = datetime.fromisoformat(orjson.loads(body)["event"]["recorded_at"])
                with receiver.lock:
                    receiver.lags.append(now - recorded.timestamp())
                    receiver.arrivals.append(now)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def sqlite_database(citizens: int) -> str:
    template = WORK / f"events-{citizens}.db"
    if not template.exists():
        partial = template.with_suffix(".partial.db")
        partial.unlink(missing_ok=True)
        ensure_registry(f"sqlite:///{partial}", citizens)
        partial.rename(template)
    scratch = WORK / "events-scratch.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{scratch}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, scratch)
    return f"sqlite:///{scratch}"


def postgres_database(server: str, citizens: int) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    def admin(statement: str) -> list[Any]:
        engine = create_engine(server, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                result = connection.execute(text(statement))
                return list(result) if result.returns_rows else []
        finally:
            engine.dispose()

    def url(name: str) -> str:
        return make_url(server).set(database=name).render_as_string(hide_password=False)

    template = f"popreg_bench_events_{citizens}"
    if not admin(f"SELECT 1 FROM pg_database WHERE datname = '{template}'"):
        partial = f"{template}_partial"
        admin(f'DROP DATABASE IF EXISTS "{partial}" WITH (FORCE)')
        admin(f'CREATE DATABASE "{partial}"')
        ensure_registry(url(partial), citizens)
        admin(f'ALTER DATABASE "{partial}" RENAME TO "{template}"')
    scratch = "popreg_bench_events_scratch"
    admin(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{scratch}" TEMPLATE "{template}"')
    return url(scratch)


def living_adults(database_url: str, count: int) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT personal_id FROM citizen WHERE death_date IS NULL AND "
                    "disappearance_date IS NULL AND birth_date < :born ORDER BY id"
                ),
                {"born": "2005-01-01"},
            ).scalars()
            adults = list(rows)
    finally:
        engine.dispose()
    random.Random(7).shuffle(adults)
    if len(adults) < count:
        raise SystemExit(f"only {len(adults)} living adults for {count} events")
    return adults[:count]


def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited ({process.returncode}); see var/bench/events.log")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the server did not come up")


def body_for(
    kind: str, personal_id: str, n: int, ward_codes: list[str]
) -> tuple[str, dict[str, Any]]:
    today = datetime.now(UTC).date().isoformat()
    if kind == "death":
        return "deaths", {"personal_id": personal_id, "death_date": today}
    if kind == "name_change":
        return "name-changes", {
            "personal_id": personal_id,
            "full_name": f"Nguyễn Văn Đổi {n}",
            "changed_on": today,
        }
    return "residence-changes", {
        "personal_id": personal_id,
        "kind": "current",
        "street": f"Số {n % 400 + 1} đường Lê Lợi",
        "legacy_ward_code": ward_codes[n % len(ward_codes)],
        "moved_on": today,
    }


async def record(
    base: str, people: list[str], concurrency: int, rate: float | None
) -> tuple[list[float], dict[str, int], float]:
    civil = {"X-API-Key": demo_api_key("civil-registry-demo").secret, "X-Purpose": "civil_status"}
    rng = random.Random(11)
    kinds = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX], k=len(people))
    ward_codes = list(wards().legacy_codes)
    latencies: list[float] = []
    counts: dict[str, int] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(len(people)):
        queue.put_nowait(n)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            if rate:  # paced: event n is due n / rate seconds after the start
                await asyncio.sleep(max(0.0, begun + n / rate - time.perf_counter()))
            path, body = body_for(kinds[n], people[n], n, ward_codes)
            started = time.perf_counter()
            response = await client.post(f"{base}/v1/civil/{path}", json=body, headers=civil)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 201:
                raise SystemExit(f"{path}: {response.status_code} {response.text}")
            counts[kinds[n]] = counts.get(kinds[n], 0) + 1

    started = begun = time.perf_counter()
    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return latencies, counts, time.perf_counter() - started


def outbox_counts(base: str) -> dict[str, int]:
    total: dict[str, int] = {}
    for agency in SUBSCRIBERS:
        listed = httpx.get(
            f"{base}/v1/subscriptions", headers={"X-API-Key": demo_api_key(agency).secret}
        ).json()["subscriptions"]
        for subscription in listed:
            for state, count in subscription["deliveries"].items():
                total[state] = total.get(state, 0) + count
    return total


def pct(values: list[float], q: int) -> float:
    return quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--citizens", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--rate", type=float, default=None, help="events per second (default: as fast as it goes)"
    )
    parser.add_argument(
        "--worker",
        action="store_true",
        help="send webhooks from a `popreg worker` process instead of the server",
    )
    parser.add_argument(
        "--postgres", default=os.environ.get("POPREG_BENCH_POSTGRES", DEFAULT_POSTGRES)
    )
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    if args.backend == "sqlite":
        database_url = sqlite_database(args.citizens)
    else:
        database_url = postgres_database(args.postgres, args.citizens)
    people = living_adults(database_url, args.events)
    receiver = Receiver()
    base = f"http://127.0.0.1:{PORT}"
    env = {
        **os.environ,
        "POPREG_DATABASE_URL": database_url,
        "POPREG_RATE_LIMITS": "false",
        "POPREG_ACCESS_LOG": "false",
        "POPREG_WEBHOOK_POLL_SECONDS": "0.2",
    }
    log = (WORK / "events.log").open("ab")
    if args.worker:
        env["POPREG_WEBHOOKS"] = "false"
    server = subprocess.Popen(
        [str(BIN / "popreg"), "serve", "--port", str(PORT)], env=env, stdout=log, stderr=log
    )
    worker = (
        subprocess.Popen([str(BIN / "popreg"), "worker"], env=env, stdout=log, stderr=log)
        if args.worker
        else None
    )
    try:
        wait_until_up(base, server)
        for agency, (purpose, types) in SUBSCRIBERS.items():
            response = httpx.post(
                f"{base}/v1/subscriptions",
                headers={"X-API-Key": demo_api_key(agency).secret},
                json={"url": receiver.url, "purpose": purpose, "event_types": types},
            )
            response.raise_for_status()
        latencies, counts, seconds = asyncio.run(record(base, people, args.concurrency, args.rate))
        # What is owed is what the outbox holds (a purpose gets only events it can read).
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            counts = outbox_counts(base)
            if counts["pending"] + counts["sending"] == 0:
                break
            time.sleep(0.2)
        owed = sum(counts.values())
        while len(receiver.lags) < owed and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        for process in (server, worker):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
        receiver.server.shutdown()
    lags = receiver.lags
    span = max(receiver.arrivals) - min(receiver.arrivals) if receiver.arrivals else 0.0
    print(
        f"\n{args.backend}, webhooks sent by {'a popreg worker' if args.worker else 'the server'}, "
        f"{args.citizens:,} citizens, {args.events:,} events"
        f"{f' paced at {args.rate:g}/s' if args.rate else ''}, "
        f"concurrency {args.concurrency}, 3 subscribers ({uuid.uuid4().hex[:6]})\n"
    )
    print("| measure | value |")
    print("|---|---|")
    print(
        f"| civil-registry writes | {len(latencies):,} in {seconds:.1f} s = "
        f"**{len(latencies) / seconds:,.0f}/s** |"
    )
    print(
        f"| write latency p50 / p99 | {pct(latencies, 50) * 1000:.1f} ms / "
        f"{pct(latencies, 99) * 1000:.1f} ms |"
    )
    print(
        f"| deliveries | {len(lags):,} of {owed:,} owed"
        f"{'' if len(lags) >= owed else ' (INCOMPLETE)'} |"
    )
    if lags:
        print(f"| delivery rate | {len(lags) / max(span, 1e-9):,.0f}/s |")
        print(
            f"| lag recorded → received p50 / p99 / max | {pct(lags, 50) * 1000:.0f} ms / "
            f"{pct(lags, 99) * 1000:.0f} ms / {max(lags) * 1000:.0f} ms |"
        )


if __name__ == "__main__":
    main()
