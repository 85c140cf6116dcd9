"""Load and soak: a mixed workload against real server processes and a worker, then checks.

    .venv/bin/python bench/soak.py [--backend postgresql|sqlite] [--duration 10m]
        [--citizens 100000] [--users 30] [--workers 2] [--out DIR] [--postgres URL]

1. Creates a scratch database (PostgreSQL: ``popreg_soak_<random>`` on --postgres,
   dropped at the end unless --keep; SQLite: a file in --out), migrates it, seeds
   --citizens citizens and creates the demo agencies, with the ``popreg`` commands.
2. Starts ``popreg serve --workers N`` (no cleaning threads, no webhook sender) and one
   ``popreg worker`` (cleaning chunks and webhooks), a webhook receiver on loopback
   that checks every signature (the civil registry subscribes it to the event types
   the workload produces) and fails --receiver-failures of the attempts on purpose, and
   sandbox fault rules: --fault-rate of the lookups answer an injected 503, 2 % of the
   verifications are delayed by 50 ms.
3. Runs Locust headless for --duration with bench/locust_soak.py (lookups, verifies
   single and batch, cleaning jobs, civil-registry life events), sampling the resident
   memory (RSS) of every server and worker process every --sample-seconds.
4. Waits until the webhook outbox is drained, stops the processes, runs
   ``popreg audit verify``, and checks:
   - every Locust failure is an injected fault or a 429, and no task raised;
   - no process's RSS grew by more than --max-growth between the end of the warm-up
     and the end of the run (not judged when less than two minutes lie in between:
     too short to tell growth from warming up);
   - the audit chain is intact;
   - every life event acknowledged (201) reached the receiver, whole and signed, or its
     delivery is accounted for as still pending or dead;
   - the server and worker logs have no error lines other than the injected faults.
5. Writes DIR/summary.json (and DIR/memory.csv, every RSS sample; Locust's CSV files;
   the processes' logs) and prints the figures as Markdown tables. Exit status 0 when
   every check passed, else 1.

The load generator, the servers, the worker and the database share the machine: the
summary records the number of cores and the load average before and after.
"""

from __future__ import annotations

import argparse
import csv
import http.server
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from statistics import mean, quantiles
from typing import Any

import httpx
import orjson
import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]
sys.path.insert(0, str(ROOT))

from app.agencies.keys import demo_api_key  # noqa: E402
from app.config import DEFAULT_ADMIN_TOKEN, Settings  # noqa: E402
from app.events.signing import SIGNATURE_HEADER, verify_signature  # noqa: E402

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
PORTS = range(18300, 18400)
AGENCIES = ["phusa-bank", "saomai-telecom", "civil-registry-demo"]
EVENT_TYPES = ["death", "widowhood", "residence_change", "name_change"]
ADMIN = {"Authorization": f"Bearer {DEFAULT_ADMIN_TOKEN}"}
MIN_JUDGED_SECONDS = 120


def seconds(text: str) -> int:
    """``90``, ``90s``, ``10m``, ``1h`` → seconds."""
    match = re.fullmatch(r"(\d+)\s*([smh]?)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 30s, 10m, 1h)")
    return int(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match[2]]


def free_port(taken: set[int]) -> int:
    for port in random.sample(PORTS, len(PORTS)):
        if port in taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        taken.add(port)
        return port
    raise SystemExit(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


# --- the database -------------------------------------------------------------------


class ScratchDatabase:
    """A database for one run: created, migrated, seeded; PostgreSQL's dropped after."""

    def __init__(self, backend: str, out: Path, postgres: str) -> None:
        self.backend = backend
        self.server = Settings(database_url=postgres).database_url
        self.name = f"popreg_soak_{uuid.uuid4().hex[:10]}"
        if backend == "sqlite":
            self.url = f"sqlite:///{out / 'soak.db'}"
        else:
            from sqlalchemy.engine import make_url

            self._admin(f'CREATE DATABASE "{self.name}"')
            self.url = make_url(self.server).set(database=self.name).render_as_string(False)

    def _admin(self, statement: str) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.server, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    def prepare(self, citizens: int, log: Path) -> None:
        env = {**os.environ, "POPREG_DATABASE_URL": self.url}
        with log.open("ab") as output:
            for command in (
                ["db", "upgrade"],
                ["seed", "--citizens", str(citizens)],
                ["agency", "demo"],
            ):
                subprocess.run(
                    [str(BIN / "popreg"), *command],
                    env=env,
                    stdout=output,
                    stderr=output,
                    check=True,
                )

    def sample(self) -> dict[str, Any]:
        """Citizens for the users: readers (lookups, verifies), adults to change, to die."""
        from sqlalchemy import create_engine, text

        from seed.reference import wards

        engine = create_engine(Settings(database_url=self.url).database_url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    text(
                        "SELECT personal_id, full_name, birth_date FROM citizen "
                        "WHERE death_date IS NULL AND disappearance_date IS NULL "
                        "AND birth_date < :born ORDER BY personal_id"
                    ),
                    {"born": "2005-01-01"},
                ).all()
        finally:
            engine.dispose()
        people = [
            {"personal_id": r[0], "full_name": r[1], "birth_date": str(r[2])[:10]} for r in rows
        ]
        rng = random.Random(7)
        rng.shuffle(people)
        readers, rest = people[: len(people) // 2], people[len(people) // 2 :]
        adults, dying = rest[: len(rest) // 3], rest[len(rest) // 3 :]
        codes = list(wards().legacy_codes)
        return {
            "readers": readers[:5000],
            "adults": [p["personal_id"] for p in adults[:3000]],
            "dying": [p["personal_id"] for p in dying[:5000]],
            "wards": rng.sample(codes, min(200, len(codes))),
        }

    def deliveries(self, subscription: str) -> dict[int, str]:
        """Event id → delivery state, of the subscription's outbox."""
        from sqlalchemy import create_engine, text

        engine = create_engine(Settings(database_url=self.url).database_url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    text(
                        "SELECT event_seq, state FROM webhook_delivery WHERE subscription_id = :s"
                    ),
                    {"s": subscription},
                ).all()
        finally:
            engine.dispose()
        return {int(seq): str(state) for seq, state in rows}

    def drop(self) -> None:
        if self.backend == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# --- the webhook receiver ------------------------------------------------------------


class Receiver:
    """Accepts whole, correctly signed deliveries (204); refuses a share on purpose (503)."""

    def __init__(self, port: int, failure_rate: float) -> None:
        self.secret = ""
        self.failure_rate = failure_rate
        self.received: Counter[int] = Counter()  # event id → accepted deliveries
        self.lags: list[float] = []  # seconds from recorded_at to first arrival
        self.refused_on_purpose = 0
        self.bad = 0  # truncated or wrongly signed
        self.lock = threading.Lock()
        self.rng = random.Random(11)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status = receiver.take(body, length, self.headers.get(SIGNATURE_HEADER, ""))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{port}/hooks/popreg"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self, body: bytes, length: int, signature: str) -> int:
        if len(body) != length or not verify_signature(self.secret, body, signature):
            with self.lock:
                self.bad += 1
            return 400
        with self.lock:
            if self.rng.random() < self.failure_rate:
                self.refused_on_purpose += 1
                return 503
            event = orjson.loads(body)["event"]
            if not self.received[event["id"]]:
                recorded = datetime.fromisoformat(event["recorded_at"])
                self.lags.append(time.time() - recorded.timestamp())
            self.received[event["id"]] += 1
        return 204

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- processes and memory ------------------------------------------------------------


class MemorySampler:
    """Resident memory of the server's and the worker's processes every few seconds."""

    def __init__(self, roots: dict[str, int], every: float) -> None:
        self.roots = roots
        self.every = every
        self.samples: list[tuple[float, str, int, int]] = []  # (t, label, pid, rss bytes)
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def processes(self) -> dict[str, psutil.Process]:
        found: dict[str, psutil.Process] = {}
        for label, pid in self.roots.items():
            try:
                root = psutil.Process(pid)
                found[label] = root
                children = [
                    child
                    for child in root.children(recursive=True)
                    if "resource_tracker" not in " ".join(child.cmdline())
                ]
            except psutil.Error:
                continue
            for n, child in enumerate(sorted(children, key=lambda c: c.pid), start=1):
                found[f"{label} worker {n}"] = child
        return found

    def sample(self) -> None:
        now = time.monotonic() - self.started
        for label, process in self.processes().items():
            try:
                self.samples.append((now, label, process.pid, process.memory_info().rss))
            except psutil.Error:
                continue

    def start(self) -> None:
        self.sample()
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def write(self, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["seconds", "process", "pid", "rss_mb"])
            for t, label, pid, rss in self.samples:
                writer.writerow([round(t, 1), label, pid, round(rss / 2**20, 2)])

    def report(self, warmup: float, end: float, max_growth: float) -> dict[str, Any]:
        """Per process: RSS at start, after warm-up and at the end (means of 3 samples)."""
        judged = end - warmup >= MIN_JUDGED_SECONDS
        processes: dict[str, Any] = {}
        for label in sorted({s[1] for s in self.samples}):
            mine = [s for s in self.samples if s[1] == label and s[0] <= end]
            if not mine:
                continue
            after = [s for s in mine if s[0] >= warmup] or mine[-1:]
            base = mean(s[3] for s in after[:3])
            last = mean(s[3] for s in mine[-3:])
            growth = (last - base) / base * 100
            processes[label] = {
                "pids": sorted({s[2] for s in mine}),
                "rss_start_mb": round(mine[0][3] / 2**20, 1),
                "rss_after_warmup_mb": round(base / 2**20, 1),
                "rss_end_mb": round(last / 2**20, 1),
                "rss_peak_mb": round(max(s[3] for s in mine) / 2**20, 1),
                "growth_pct": round(growth, 1),
            }
        worst = max((p["growth_pct"] for p in processes.values()), default=0.0)
        restarted = [label for label, p in processes.items() if len(p["pids"]) > 1]
        return {
            "warmup_s": warmup,
            "judged": judged,
            "why_not_judged": None
            if judged
            else f"less than {MIN_JUDGED_SECONDS} s between warm-up and end",
            "max_growth_pct": max_growth,
            "worst_growth_pct": worst,
            "restarted": restarted,
            "samples": len(self.samples),
            "processes": processes,
            "passed": (worst <= max_growth and not restarted) if judged else None,
        }


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(command, env=env, stdout=output, stderr=output)


def terminate(process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}; see its log")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not become ready within two minutes")


# --- Locust's figures ----------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def locust_figures(prefix: Path) -> dict[str, Any]:
    def number(value: str) -> float:
        return float(value) if value not in ("", "N/A") else 0.0

    requests = {}
    for row in read_csv(Path(f"{prefix}_stats.csv")):
        requests[row["Name"]] = {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "rps": round(number(row["Requests/s"]), 1),
            "p50_ms": number(row["50%"]),
            "p95_ms": number(row["95%"]),
            "p99_ms": number(row["99%"]),
            "max_ms": round(number(row["Max Response Time"])),
        }
    kinds: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for row in read_csv(Path(f"{prefix}_failures.csv")):
        error = row["Error"]
        kind = next((k for k in ("injected", "rate_limited", "error") if f"{k}:" in error), "error")
        kinds[kind] += int(row["Occurrences"])
        examples.setdefault(kind, []).append(f"{row['Name']}: {error} × {row['Occurrences']}")
    exceptions = read_csv(Path(f"{prefix}_exceptions.csv"))
    return {
        "requests": requests,
        "failures": dict(kinds),
        "failure_examples": examples,
        "exceptions": [f"{e['Count']} × {e['Message']}" for e in exceptions],
    }


def log_errors(*logs: Path) -> dict[str, int]:
    """Error lines (JSON logs) by message; injected faults are not errors."""
    errors: Counter[str] = Counter()
    for log in logs:
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.startswith("{"):
                if "Traceback" in line:
                    errors["traceback outside the JSON log"] += 1
                continue
            record = json.loads(line)
            if record.get("level") in ("error", "critical"):
                errors[str(record.get("message"))[:120]] += 1
    return dict(errors)


# --- the run -------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    load_before = os.getloadavg()
    database = ScratchDatabase(args.backend, out, args.postgres)
    processes: list[subprocess.Popen[bytes]] = []
    receiver: Receiver | None = None
    try:
        print(f"preparing {args.backend} database with {args.citizens:,} citizens …", flush=True)
        clock = time.monotonic()
        database.prepare(args.citizens, out / "setup.log")
        setup_seconds = time.monotonic() - clock
        sample = database.sample()
        (out / "sample.json").write_text(json.dumps(sample), encoding="utf-8")
        ports: set[int] = set()
        port = free_port(ports)
        receiver = Receiver(free_port(ports), args.receiver_failures)
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "POPREG_DATABASE_URL": database.url,
            "POPREG_LOG_FORMAT": "json",
            "POPREG_ACCESS_LOG": "false",
            "POPREG_WEBHOOK_POLL_SECONDS": "0.5",
            "POPREG_WEBHOOK_BACKOFF_BASE_SECONDS": "1",
            "POPREG_WEBHOOK_BACKOFF_MAX_SECONDS": "30",
        }
        server_env = {**env, "POPREG_CLEANING_WORKERS": "0", "POPREG_WEBHOOKS": "false"}
        server = start(
            [str(BIN / "popreg"), "serve", "--port", str(port), "--workers", str(args.workers)],
            server_env,
            out / "server.log",
        )
        processes.append(server)
        worker = start([str(BIN / "popreg"), "worker"], env, out / "worker.log")
        processes.append(worker)
        wait_ready(base, server)
        with httpx.Client(base_url=base, timeout=30) as client:
            subscribed = client.post(
                "/v1/subscriptions",
                headers={"X-API-Key": demo_api_key("civil-registry-demo").secret},
                json={"url": receiver.url, "purpose": "civil_status", "event_types": EVENT_TYPES},
            )
            subscribed.raise_for_status()
            subscription = subscribed.json()["id"]
            receiver.secret = subscribed.json()["secret"]
            rules = [
                {
                    "route": "/v1/identity/verify",
                    "methods": ["POST"],
                    "probability": 0.02,
                    "effect": {"kind": "latency", "ms": 50},
                    "description": "soak: slow verifications",
                },
            ]
            if args.fault_rate > 0:
                rules.append(
                    {
                        "route": "/v1/citizens/*",
                        "methods": ["GET"],
                        "probability": args.fault_rate,
                        "effect": {"kind": "error", "status": 503, "retry_after": 1},
                        "description": "soak: injected lookup failures",
                    }
                )
            for rule in rules:
                client.post("/v1/sandbox/faults", headers=ADMIN, json=rule).raise_for_status()

        sampler = MemorySampler({"serve": server.pid, "worker": worker.pid}, args.sample_seconds)
        sampler.start()
        acks = out / "acknowledged-events.txt"
        acks.write_text("", encoding="utf-8")
        locust_env = {
            **os.environ,
            "SOAK_SAMPLE": str(out / "sample.json"),
            "SOAK_ACKS": str(acks),
            "SOAK_KEYS": json.dumps({a: demo_api_key(a).secret for a in AGENCIES}),
            "SOAK_RATE": str(args.rate),
            "SOAK_JOB_ROWS": str(args.job_rows),
        }
        print(
            f"running {args.users} Locust users for {args.duration} s against {base} "
            f"({args.workers} server processes + a worker) …",
            flush=True,
        )
        clock = time.monotonic()
        with (out / "locust.log").open("ab") as output:
            locust = subprocess.run(
                [
                    str(BIN / "locust"),
                    "-f",
                    str(ROOT / "bench" / "locust_soak.py"),
                    "--headless",
                    "--users",
                    str(args.users),
                    "--spawn-rate",
                    str(max(1, args.users // 10)),
                    "--run-time",
                    f"{args.duration}s",
                    "--stop-timeout",
                    "30",
                    "--host",
                    base,
                    "--csv",
                    str(out / "locust"),
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                env=locust_env,
                stdout=output,
                stderr=output,
                check=False,
            )
        ran = time.monotonic() - clock
        end_of_load = time.monotonic() - sampler.started
        sampler.stop()
        sampler.write(out / "memory.csv")
        load_after = os.getloadavg()

        # Every acknowledged event should now be on its way: wait for the outbox to drain.
        deadline = time.monotonic() + args.drain_seconds
        while True:
            states = database.deliveries(subscription)
            waiting = sum(1 for s in states.values() if s in ("pending", "sending"))
            if not waiting or time.monotonic() > deadline:
                break
            time.sleep(1)
        cpu = {}
        for label, process in sampler.processes().items():
            try:
                times = process.cpu_times()
                cpu[label] = round(times.user + times.system, 1)
            except psutil.Error:
                continue
        for process in processes:
            terminate(process)
        verify = subprocess.run(
            [str(BIN / "popreg"), "audit", "verify"],
            env={**os.environ, "POPREG_DATABASE_URL": database.url, "COLUMNS": "200"},
            capture_output=True,
            text=True,
            check=False,
        )
        found = re.search(r"(\d+) records", verify.stdout + verify.stderr)

        acknowledged = {
            int(line) for line in acks.read_text(encoding="utf-8").split() if line.strip()
        }
        with receiver.lock:
            received = dict(receiver.received)
            lags = sorted(receiver.lags)
        waiting_ids = {e for e, s in states.items() if s in ("pending", "sending")}
        dead_ids = {e for e, s in states.items() if s == "dead"}
        without_delivery = acknowledged - set(states)
        delivered_not_received = {e for e, s in states.items() if s == "delivered"} - set(received)
        unaccounted = acknowledged - set(received) - waiting_ids - dead_ids
        events = {
            "acknowledged": len(acknowledged),
            "outbox": dict(Counter(states.values())),
            "received": len(received),
            "received_more_than_once": sum(1 for n in received.values() if n > 1),
            "refused_on_purpose": receiver.refused_on_purpose,
            "bad_signature_or_truncated": receiver.bad,
            "acknowledged_without_delivery": sorted(without_delivery)[:20],
            "delivered_but_not_received": sorted(delivered_not_received)[:20],
            "still_pending": len(acknowledged & waiting_ids),
            "dead": len(acknowledged & dead_ids),
            "unaccounted": sorted(unaccounted)[:20],
            "lag_p50_ms": round(_pct(lags, 50) * 1000) if lags else None,
            "lag_p99_ms": round(_pct(lags, 99) * 1000) if lags else None,
        }
        events["passed"] = bool(
            acknowledged
            and not without_delivery
            and not delivered_not_received
            and not unaccounted
            and not receiver.bad
        )
        figures = locust_figures(out / "locust")
        failures = figures["failures"]
        errors = log_errors(out / "server.log", out / "worker.log")
        warmup = args.warmup if args.warmup is not None else min(60.0, args.duration / 5)
        memory = sampler.report(warmup, end_of_load, args.max_growth)
        total = figures["requests"].get("Aggregated", {})
        checks = {
            "no_errors_but_injected_or_429": not failures.get("error")
            and not figures["exceptions"]
            and total.get("requests", 0) > 0,
            "no_error_lines_in_logs": not errors,
            "memory_growth": memory["passed"],
            "audit_chain_intact": verify.returncode == 0,
            "events_delivered": events["passed"],
        }
        return {
            "backend": args.backend,
            "started_at": started_at,
            "duration_s": args.duration,
            "ran_s": round(ran, 1),
            "users": args.users,
            "rate": args.rate,
            "server_processes": args.workers,
            "citizens": args.citizens,
            "setup_s": round(setup_seconds, 1),
            "machine": {
                "cores": os.cpu_count(),
                "load_average_before": [round(x, 2) for x in load_before],
                "load_average_after": [round(x, 2) for x in load_after],
                "cpu_seconds_by_process": cpu,
            },
            "locust_exit_status": locust.returncode,
            **figures,
            "log_errors": errors,
            "memory": memory,
            "audit": {
                "intact": verify.returncode == 0,
                "records": int(found[1]) if found else None,
                "output": (verify.stdout + verify.stderr).strip(),
            },
            "events": events,
            "checks": checks,
            "passed": all(value is not False for value in checks.values()),
        }
    finally:
        for process in processes:
            terminate(process)
        if receiver is not None:
            receiver.stop()
        if not args.keep:
            database.drop()


def _pct(values: list[float], q: int) -> float:
    return quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def print_tables(summary: dict[str, Any]) -> None:
    machine = summary["machine"]
    print(
        f"\n{summary['backend']}, {summary['server_processes']} server processes + a worker, "
        f"{summary['citizens']:,} citizens, {summary['users']} users, {summary['ran_s']:.0f} s, "
        f"{machine['cores']} cores, load average {machine['load_average_before'][0]} → "
        f"{machine['load_average_after'][0]}\n"
    )
    print("| requests | count | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, row in summary["requests"].items():
        label = f"**{name}**" if name == "Aggregated" else name
        print(
            f"| {label} | {row['requests']:,} | {row['failures']:,} | {row['rps']} | "
            f"{row['p50_ms']:.0f} | {row['p95_ms']:.0f} | {row['p99_ms']:.0f} | {row['max_ms']} |"
        )
    failures = summary["failures"]
    print(
        f"\nfailures: injected {failures.get('injected', 0):,}, rate-limited "
        f"{failures.get('rate_limited', 0):,}, other {failures.get('error', 0):,}; "
        f"task exceptions {len(summary['exceptions'])}; error lines in the logs "
        f"{sum(summary['log_errors'].values())}"
    )
    for kind, examples in summary["failure_examples"].items():
        for example in examples[:5]:
            print(f"  {kind}: {example}")
    memory = summary["memory"]
    print("\n| process | RSS start MB | after warm-up MB | end MB | peak MB | growth |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, row in memory["processes"].items():
        print(
            f"| {label} | {row['rss_start_mb']} | {row['rss_after_warmup_mb']} | "
            f"{row['rss_end_mb']} | {row['rss_peak_mb']} | {row['growth_pct']:+.1f} % |"
        )
    if not memory["judged"]:
        print(f"(memory growth not judged: {memory['why_not_judged']})")
    events = summary["events"]
    print(
        f"\naudit: {summary['audit']['output']}\n"
        f"life events: {events['acknowledged']:,} acknowledged, {events['received']:,} received "
        f"signed (outbox {events['outbox']}), {events['refused_on_purpose']:,} attempts refused "
        f"on purpose and retried, lag p50 {events['lag_p50_ms']} ms / p99 {events['lag_p99_ms']} ms"
    )
    print("\nchecks:")
    for name, value in summary["checks"].items():
        verdict = {True: "ok", False: "FAILED", None: "not judged"}[value]
        print(f"  {name}: {verdict}")
    print("PASSED" if summary["passed"] else "FAILED")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--duration", type=seconds, default=600, help="e.g. 30s, 10m (10m)")
    parser.add_argument("--citizens", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--rate", type=float, default=1.0, help="multiplies each user's pace")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--job-rows", type=int, default=1000, help="rows per cleaning file")
    parser.add_argument("--fault-rate", type=float, default=0.01, help="lookups faulted (503)")
    parser.add_argument("--receiver-failures", type=float, default=0.02)
    parser.add_argument("--warmup", type=seconds, default=None, help="default: min(60 s, 1/5)")
    parser.add_argument("--max-growth", type=float, default=10.0, help="percent")
    parser.add_argument("--sample-seconds", type=float, default=5.0)
    parser.add_argument("--drain-seconds", type=float, default=180.0)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("POPREG_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
        help="a PostgreSQL server URL (any database on it) where the scratch one is created",
    )
    parser.add_argument("--out", type=Path, default=None, help="default var/soak/<time>")
    parser.add_argument("--keep", action="store_true", help="keep the scratch PostgreSQL database")
    args = parser.parse_args()
    if args.out is None:
        args.out = ROOT / "var" / "soak" / datetime.now().strftime("%Y%m%d-%H%M%S")
    summary = run(args)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print_tables(summary)
    print(f"\nsummary, Locust CSV files and logs: {args.out}")
    sys.exit(0 if summary["passed"] else 1)


if __name__ == "__main__":
    main()
