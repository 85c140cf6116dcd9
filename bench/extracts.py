"""A 100,000-citizen extract end to end against a real server: time, memory, audit.

    .venv/bin/python bench/extracts.py [--rows 100000] [--citizens 1000000]
        [--backend sqlite|postgresql] [--port 18600] [--chunk-rows 1000]

1. Seeds (or reuses) a registry of --citizens citizens plus the demo agencies: the
   same cache as bench/cleaning.py (SQLite var/bench/cleaning-<citizens>.db,
   PostgreSQL template database popreg_bench_cleaning_<citizens>), and serves a
   scratch copy with `popreg serve` (rate limits and access log off).
2. As `social-protection-demo` / `social_pension`, estimates and then starts an
   extract of everyone aged 60 and over, at most --rows citizens; times the POST
   until its 202 (the cohort's ids are fixed), the rendering until `done` (polled
   every 0.2 s), and the streamed NDJSON download (read in 64 KiB pieces, kept on
   disk); samples the server's RSS every 0.2 s, before and during.
3. Checks the rows (--rows distinct citizens, each aged 60+ with exactly the
   purpose's fields), that the audit log holds exactly one `extract` record per
   row (by the extract's request id), and that a sample of those citizens see the
   extract in their own access log.
4. Measures the audit writer alone on the scratch copy: chaining (SHA-256) and
   appending --rows records like the extract's, in transactions of a chunk each.
5. In process, on the same copy, extracts the cohort --runs times again under
   tracemalloc: the Python heap after each, and its peaks while accepting and
   rendering, and while streaming the rows (without SQLite's page caches, which
   the server's RSS includes).

Prints Markdown tables for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sys
import threading
import time
import tracemalloc
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORK = ROOT / "var" / "bench"
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]
sys.path.insert(0, str(ROOT))

from app.agencies.keys import demo_api_key  # noqa: E402
from app.schema import upgrade  # noqa: E402
from bench.cleaning import (  # noqa: E402
    DEFAULT_POSTGRES,
    _admin,
    _pg_url,
    postgres_registry,
    sqlite_registry,
    start,
    stop,
    wait_until_up,
)

AGENCY, PURPOSE = "social-protection-demo", "social_pension"
FIELDS = [
    "personal_id",
    "full_name",
    "birth_date",
    "sex",
    "permanent_address",
    "current_address",
    "vital_status",
]
PIECE = 1 << 16


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Memory(threading.Thread):
    """Peak RSS of the server, and of its anonymous part (its heap, not mapped file pages).

    SQLite maps up to 256 MiB of the database file (``mmap_size``) and keeps a page
    cache per connection: pages read count in the RSS as file-backed memory. What the
    extract itself holds (Python objects, buffers) is in the anonymous part.
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.rss_kib, self.anon_kib = pid, 0, 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.rss_kib = max(self.rss_kib, _status_kib(self.pid, "VmRSS"))
            self.anon_kib = max(self.anon_kib, _status_kib(self.pid, "RssAnon"))
            self.stopping.wait(0.1)

    def stop(self) -> None:
        self.stopping.set()
        self.join()


REFERENCE = date(2026, 11, 22)


def run_extract(base: str, rows: int, out: Path, request_id: str) -> dict[str, Any]:
    key = demo_api_key(AGENCY).secret
    headers = {"X-API-Key": key, "X-Purpose": PURPOSE}
    cohort = {"age_min": 60, "limit": rows, "reference_date": REFERENCE.isoformat()}
    timings: dict[str, Any] = {}
    with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
        began = time.perf_counter()
        estimate = client.post("/v1/extracts/estimate", json={"cohort": cohort})
        estimate.raise_for_status()
        estimated = time.perf_counter()
        created = client.post(
            "/v1/extracts", json={"cohort": cohort}, headers={"X-Request-ID": request_id}
        )
        if created.status_code != 202:
            raise RuntimeError(f"extract: {created.status_code} {created.text}")
        accepted = time.perf_counter()
        job = created.json()
        while job["state"] not in ("done", "cancelled", "failed"):
            time.sleep(0.2)
            reply = client.get(job["links"]["self"])
            reply.raise_for_status()
            job = reply.json()
        rendered = time.perf_counter()
        if job["state"] != "done":
            raise RuntimeError(f"extract {job['id']} ended {job['state']}: {job.get('error')}")
        size = 0
        with client.stream("GET", job["links"]["data"]) as reply, out.open("wb") as sink:
            reply.raise_for_status()
            for piece in reply.iter_bytes(PIECE):
                size += len(piece)
                sink.write(piece)
        downloaded = time.perf_counter()
    timings.update(
        estimate=estimated - began,
        estimated=estimate.json()["citizens"],
        accept=accepted - estimated,
        render=rendered - accepted,
        download=downloaded - rendered,
        total=downloaded - estimated,
        bytes=size,
        job=job,
    )
    return timings


def check_rows(out: Path, rows: int) -> set[str]:
    people: set[str] = set()
    cutoff = REFERENCE.replace(year=REFERENCE.year - 60).isoformat()
    with out.open("rb") as source:
        for line in source:
            row = orjson.loads(line)
            if list(row) != FIELDS:
                raise RuntimeError(f"a row with other fields: {sorted(row)}")
            if row["birth_date"][:10] > cutoff:  # year-only dates are 4 characters
                raise RuntimeError(f"a citizen under 60: {row['birth_date']}")
            people.add(row["personal_id"])
    if len(people) != rows:
        raise RuntimeError(f"{len(people):,} distinct citizens, expected {rows:,}")
    return people


def audit_counts(url: str, request_id: str) -> tuple[int, int]:
    """Extract audit records of the run, and the citizens they name."""
    from sqlalchemy import func, select

    from app.config import Settings
    from app.db import build_engine
    from app.models import AuditEvent

    engine = build_engine(Settings(database_url=url))
    try:
        with engine.connect() as connection:
            records, citizens = connection.execute(
                select(func.count(), func.count(AuditEvent.personal_id.distinct())).where(
                    AuditEvent.operation == "extract", AuditEvent.request_id == request_id
                )
            ).one()
    finally:
        engine.dispose()
    return int(records), int(citizens)


def trackers_show_it(base: str, people: set[str], sample: int = 20) -> int:
    """How many of ``sample`` random citizens of the extract see it in their access log."""
    shown = 0
    with httpx.Client(base_url=base, timeout=60) as client:
        for personal_id in random.Random(7).sample(sorted(people), sample):
            login = client.post(
                "/v1/citizen/login", json={"personal_id": personal_id, "code": "123456"}
            )
            login.raise_for_status()
            token = {"Authorization": f"Bearer {login.json()['access_token']}"}
            log = client.get("/v1/me/access-log", headers=token).json()["records"]
            shown += any(r["operation"] == "extract" and r["agency"] == AGENCY for r in log)
    return shown


def audit_writer(url: str, rows: int, chunk: int) -> dict[str, float]:
    """Chain and append ``rows`` extract-like records, ``chunk`` per transaction."""
    from app.audit import repository
    from app.audit.records import AuditEntry, chain, now_text
    from app.config import Settings
    from app.db import build_engine

    entries = [
        AuditEntry(
            operation="extract",
            outcome="disclosed",
            agency_code=AGENCY,
            purpose=PURPOSE,
            personal_id=f"001{n:09d}",
            fields=tuple(FIELDS),
            request_id="bench-audit-writer",
            detail={"extract": "0" * 32},
            occurred_at=now_text(),
        )
        for n in range(rows)
    ]
    began = time.perf_counter()
    chain(entries, 0, "0" * 64)
    hashed = time.perf_counter() - began
    engine = build_engine(Settings(database_url=url))
    try:
        began = time.perf_counter()
        for first in range(0, rows, chunk):
            with engine.begin() as connection:
                if connection.dialect.name == "sqlite":
                    connection.exec_driver_sql("UPDATE audit_head SET seq = seq WHERE id = 1")
                repository.append_within(connection, entries[first : first + chunk])
        appended = time.perf_counter() - began
    finally:
        engine.dispose()
    return {"hash_seconds": hashed, "append_seconds": appended}


async def _stream(app: Any, path: str, headers: dict[str, str]) -> int:
    """GET ``path`` straight through the ASGI app, counting the body and keeping none of it."""
    size, asked, never = 0, False, asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await never.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal size
        if message["type"] == "http.response.body":
            size += len(message.get("body", b""))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "server": ("bench", 80),
        "client": ("127.0.0.1", 50000),
    }
    await app(scope, receive, send)
    return size


def python_heap(url: str, rows: int, runs: int) -> list[tuple[float, float, float, int]]:
    """In process, per extract: Python heap after it, peak while accepting and rendering it,
    peak while streaming it (MiB), body bytes. Python allocations only (tracemalloc): what
    the extract holds, without SQLite's page caches."""
    from app.config import Settings
    from app.extracts.worker import ExtractWorker
    from app.main import create_app

    async def measure() -> list[tuple[float, float, float, int]]:
        app = create_app(Settings(database_url=url, access_log=False, rate_limits=False))
        headers = {"X-API-Key": demo_api_key(AGENCY).secret, "X-Purpose": PURPOSE}
        cohort = {"age_min": 60, "limit": rows, "reference_date": REFERENCE.isoformat()}
        figures = []
        tracemalloc.start()
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                for _ in range(runs):
                    tracemalloc.reset_peak()
                    job = (
                        await client.post("/v1/extracts", json={"cohort": cohort}, headers=headers)
                    ).json()
                    worker = ExtractWorker(app.state.database)
                    while worker.run_once():
                        pass
                    _, rendering = tracemalloc.get_traced_memory()
                    tracemalloc.reset_peak()
                    size = await _stream(app, job["links"]["data"], headers)
                    now, streaming = tracemalloc.get_traced_memory()
                    figures.append((now / 2**20, rendering / 2**20, streaming / 2**20, size))
        finally:
            tracemalloc.stop()
            app.state.database.dispose()
        return figures

    return asyncio.run(measure())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--citizens", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--port", type=int, default=18600)
    parser.add_argument("--chunk-rows", type=int, default=1000)
    parser.add_argument(
        "--runs", type=int, default=2, help="Extracts one after the other in the same server."
    )
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    server_url = os.environ.get("POPREG_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    scratch_name = f"popreg_bench_extract_{uuid.uuid4().hex[:8]}"
    if args.backend == "sqlite":
        registry = sqlite_registry(args.citizens)
        scratch = WORK / f"{scratch_name}.db"
        shutil.copyfile(registry.removeprefix("sqlite:///"), scratch)
        url = f"sqlite:///{scratch}"
    else:
        template = postgres_registry(server_url, args.citizens)
        _admin(server_url, f'CREATE DATABASE "{scratch_name}" TEMPLATE "{template}"')
        url = _pg_url(server_url, scratch_name)
    upgrade(url)  # a registry cached by an older popreg is migrated on the copy
    from seed.load import ensure_registry

    ensure_registry(url, args.citizens)  # demo agencies of this version (the new purpose)
    out = WORK / "extract-rows.ndjson"
    log = WORK / "extract-server.log"
    log.write_bytes(b"")
    env = {
        "POPREG_DATABASE_URL": url,
        "POPREG_RATE_LIMITS": "false",
        "POPREG_ACCESS_LOG": "false",
        "POPREG_LOG_LEVEL": "WARNING",
        "POPREG_EXTRACT_CHUNK_ROWS": str(args.chunk_rows),
    }
    base = f"http://127.0.0.1:{args.port}"
    runs: list[dict[str, Any]] = []
    server = start([str(BIN / "popreg"), "serve", "--port", str(args.port)], env, log)
    try:
        wait_until_up(f"{base}/readyz", server)
        idle = Memory(server.pid)
        idle.start()
        time.sleep(1.0)
        idle.stop()
        for _ in range(args.runs):
            request_id = f"bench-extract-{uuid.uuid4().hex[:8]}"
            sampler = Memory(server.pid)
            sampler.start()
            try:
                timing = run_extract(base, args.rows, out, request_id)
            finally:
                sampler.stop()
            people = check_rows(out, args.rows)
            runs.append(
                {
                    **timing,
                    "request_id": request_id,
                    "memory": sampler,
                    "rows": len(people),
                    "shown": trackers_show_it(base, people),
                }
            )
    finally:
        stop(server)
    for run in runs:
        run["records"], run["citizens"] = audit_counts(url, run["request_id"])
    writer = audit_writer(url, args.rows, args.chunk_rows)
    heap = python_heap(url, args.rows, args.runs)
    if args.backend == "sqlite" and not args.keep:
        for path in WORK.glob(f"{scratch_name}.db*"):  # -wal, -shm and the like
            path.unlink(missing_ok=True)
    elif args.backend == "postgresql" and not args.keep:
        _admin(server_url, f'DROP DATABASE IF EXISTS "{scratch_name}" WITH (FORCE)')
    report(args, idle, runs, writer, heap)
    if any(run["records"] != run["rows"] or run["citizens"] != run["rows"] for run in runs):
        sys.exit("the audit log does not hold exactly one extract record per row")


def report(
    args: argparse.Namespace,
    idle: Memory,
    runs: list[dict[str, Any]],
    writer: dict[str, float],
    heap: list[tuple[float, float, float, int]],
) -> None:
    first = runs[0]
    print(
        f"\n{args.rows:,}-citizen extract (everyone 60+, limit {args.rows:,}; the estimate "
        f"counted {first['estimated']:,}) from {args.citizens:,} citizens, {args.backend}, one "
        f"`popreg serve` (one extract thread), chunks of {args.chunk_rows:,}, "
        f"{os.cpu_count()} CPUs; {len(runs)} extract(s) one after the other\n"
    )
    heads = " | ".join(f"run {n}" for n in range(1, len(runs) + 1))
    print(f"| measure | {heads} |\n|---|{'---:|' * len(runs)}")

    def row(label: str, cell: Any) -> None:
        print(f"| {label} | " + " | ".join(cell(run) for run in runs) + " |")

    row("estimate (count, capped)", lambda r: f"{r['estimate']:.2f} s")
    row("POST until the 202 (cohort's ids fixed and stored)", lambda r: f"{r['accept']:.2f} s")
    row("rendering + per-citizen audit until `done`", lambda r: f"{r['render']:.1f} s")
    row("rows/s reported by the extract", lambda r: f"{r['job']['rows_per_second'] or 0:,.0f}")
    row(
        "NDJSON download",
        lambda r: f"{r['download']:.1f} s ({r['bytes'] / 2**20:,.1f} MiB)",
    )
    row("end to end (POST → done → rows)", lambda r: f"{r['total']:.1f} s")
    row(
        f"server RSS peak (idle before: {idle.rss_kib / 1024:,.0f} MiB)",
        lambda r: f"{r['memory'].rss_kib / 1024:,.0f} MiB",
    )
    row(
        f"… anonymous part (heap; idle: {idle.anon_kib / 1024:,.0f} MiB)",
        lambda r: f"{r['memory'].anon_kib / 1024:,.0f} MiB",
    )
    row("rows (distinct citizens, all 60+, policy fields only)", lambda r: f"{r['rows']:,}")
    row(
        "`extract` audit records / citizens named",
        lambda r: f"{r['records']:,} / {r['citizens']:,}",
    )
    row("sampled citizens whose access log shows it", lambda r: f"{r['shown']} of 20")
    hashing, appending = writer["hash_seconds"], writer["append_seconds"]
    print(
        f"\naudit writer alone, {args.rows:,} extract records: chained (SHA-256) in "
        f"{hashing:.2f} s ({args.rows / hashing:,.0f}/s); chained and appended, "
        f"{args.chunk_rows:,} per transaction, in {appending:.2f} s "
        f"({args.rows / appending:,.0f}/s)"
    )
    print("\nPython heap in process (tracemalloc), the same extract again and again:\n")
    print("| extract | heap after | peak accepting + rendering | peak streaming | body |")
    print("|---|---:|---:|---:|---:|")
    for n, (after, rendering, streaming, size) in enumerate(heap, start=1):
        print(
            f"| {n} | {after:.1f} MiB | {rendering:.1f} MiB | {streaming:.1f} MiB "
            f"| {size / 2**20:.1f} MiB |"
        )


if __name__ == "__main__":
    main()
