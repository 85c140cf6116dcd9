"""Cleaning-job throughput, memory and accuracy: a dirty telecom file through the HTTP API.

    .venv/bin/python bench/cleaning.py [--rows 1000000] [--citizens 1000000]
        [--backend sqlite|postgresql] [--workers N] [--serve-workers N] [--profile]

1. Seeds a registry of --citizens citizens plus the demo agencies once (SQLite:
   var/bench/cleaning-<citizens>.db; PostgreSQL: a template database
   popreg_bench_cleaning_<citizens>) and writes a dirty telecom dataset of --rows rows
   with its answer key once (var/bench/cleaning-telecom-<citizens>-<rows>-<rate>.csv).
2. Each run works on a scratch copy (SQLite file copy, or CREATE DATABASE … TEMPLATE),
   serves it with `popreg serve --job-workers <--workers>` (rate limits and access log off)
   with its `popreg worker` processes.
3. Times upload (streamed, 1 MiB blocks) → job done (polled every 0.2 s) → NDJSON
   results downloaded, sampling the RSS of the server and its workers every 0.2 s.
4. Grades every row against the answer key (seed/datasets/grading.py) and prints a
   Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORK = ROOT / "var" / "bench"
# Run as a script, this folder comes first on sys.path; "import seed" must find the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]
sys.path.insert(0, str(ROOT))

from app.agencies.keys import demo_api_key  # noqa: E402
from app.config import Settings  # noqa: E402
from app.schema import upgrade  # noqa: E402
from seed.datasets.grading import revealed_faults  # noqa: E402
from seed.load import ensure_registry  # noqa: E402

AGENCY, PURPOSE = "saomai-telecom", "subscriber_verification"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PORT = 8111
BLOCK = 1 << 20
IDLE = ("select (", "wait (", "_worker (", "run_forever (", "Runner.run (")
TARGETS = {"seconds_per_million": 30.0, "aim_per_million": 15.0, "rss_mib": 500.0}


# --- registry and dataset, cached ---------------------------------------------------------


def sqlite_registry(citizens: int) -> str:
    path = WORK / f"cleaning-{citizens}.db"
    if not path.exists():
        partial = path.with_suffix(".partial.db")
        partial.unlink(missing_ok=True)
        ensure_registry(f"sqlite:///{partial}", citizens)
        partial.rename(path)
    return f"sqlite:///{path}"


def _admin(server: str, statement: str) -> list[Any]:
    from sqlalchemy import create_engine, text

    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            result = connection.execute(text(statement))
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def _pg_url(server: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(server).set(database=name).render_as_string(hide_password=False)


def postgres_registry(server: str, citizens: int) -> str:
    """A template database holding the seeded registry (renamed into place when complete)."""
    name = f"popreg_bench_cleaning_{citizens}"
    if not _admin(server, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
        partial = f"{name}_partial"
        _admin(server, f'DROP DATABASE IF EXISTS "{partial}" WITH (FORCE)')
        _admin(server, f'CREATE DATABASE "{partial}"')
        ensure_registry(_pg_url(server, partial), citizens)
        _admin(server, f'ALTER DATABASE "{partial}" RENAME TO "{name}"')
    return name


def dataset(registry_url: str, citizens: int, rows: int, error_rate: float) -> tuple[Path, Path]:
    from app.db import build_engine
    from seed.datasets import DatasetSector, generate_dataset, write_rows

    stem = f"cleaning-telecom-{citizens}-{rows}-{error_rate:g}"
    data, answers = WORK / f"{stem}.csv", WORK / f"{stem}.answers.ndjson"
    if not (data.exists() and answers.exists()):
        print(f"generating {rows:,} telecom rows (error rate {error_rate:g}) …", flush=True)
        engine = build_engine(Settings(database_url=registry_url))
        try:
            records, key, _ = generate_dataset(
                engine, sector=DatasetSector.TELECOM, size=rows, error_rate=error_rate, seed=7
            )
        finally:
            engine.dispose()
        write_rows(answers, key)
        write_rows(data, records)
    return data, answers


# --- the server and its memory ------------------------------------------------------------


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo += [int(child) for child in task.read_text().split()]
    return pids


def _proc_kib(pid: int, name: str, key: str) -> int:
    """A size in KiB from /proc/<pid>/<name>, the line starting with ``key``; 0 if gone."""
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _rss_kib(pid: int) -> int:
    return _proc_kib(pid, "status", "VmRSS:")


def _pss_kib(pid: int) -> int:
    """Proportional set size: shared pages (SQLite's memory-mapped file) counted once in all."""
    return _proc_kib(pid, "smaps_rollup", "Pss:")


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class RssSampler(threading.Thread):
    """Peaks of the summed RSS and PSS of some processes and their descendants, and the CPU
    time each spent meanwhile, every 0.2 s."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids, self.peak_kib, self.peak_one_kib, self.peak_pss_kib = pids, 0, 0, 0
        self.samples = 0
        self.cpu_start: dict[int, float] = {}
        self.cpu_last: dict[int, float] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            tree = [p for root in self.pids for p in _tree(root)]
            sizes = [_rss_kib(p) for p in tree]
            self.peak_kib = max(self.peak_kib, sum(sizes))
            self.peak_one_kib = max(self.peak_one_kib, *sizes, 0)
            if self.samples % 10 == 0:  # smaps_rollup walks page tables: every 2 s is enough
                self.peak_pss_kib = max(self.peak_pss_kib, sum(_pss_kib(p) for p in tree))
            self.samples += 1
            for pid in tree:
                seconds = _cpu_seconds(pid)
                self.cpu_start.setdefault(pid, seconds)
                self.cpu_last[pid] = max(self.cpu_last.get(pid, 0.0), seconds)
            self.stopping.wait(0.2)

    def cpu(self) -> list[float]:
        """CPU seconds each process spent while sampled, in start order."""
        return [self.cpu_last[pid] - self.cpu_start[pid] for pid in self.cpu_start]

    def stop(self) -> None:
        self.stopping.set()
        self.join()


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}); see its log")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        return subprocess.Popen(command, env={**os.environ, **env}, stdout=sink, stderr=sink)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- one run ----------------------------------------------------------------------------


def _blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while block := source.read(BLOCK):
            yield block


def run_job(
    base: str, data: Path, results: Path, phase: Callable[[str], None] = lambda _: None
) -> dict[str, Any]:
    key = demo_api_key(AGENCY).secret
    timings: dict[str, Any] = {}
    with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=600) as client:
        phase("upload")
        started = time.perf_counter()
        response = client.post(
            "/v1/cleaning/jobs",
            params={"sector": "telecom", "purpose": PURPOSE},
            headers={"Content-Type": "text/csv", "Content-Length": str(data.stat().st_size)},
            content=_blocks(data),
        )
        if response.status_code != 202:
            raise RuntimeError(f"upload: {response.status_code} {response.text}")
        job = response.json()
        uploaded = time.perf_counter()
        timings["at_upload"] = {k: job[k] for k in ("state", "rows_received", "rows_processed")}
        while job["state"] not in ("done", "cancelled", "failed"):
            time.sleep(0.2)
            reply = client.get(job["links"]["self"])
            reply.raise_for_status()
            job = reply.json()
        processed = time.perf_counter()
        phase("download")
        if job["state"] != "done":
            raise RuntimeError(f"job {job['id']} ended {job['state']}: {job.get('error')}")
        with (
            client.stream("GET", job["links"]["results"], params={"format": "ndjson"}) as reply,
            results.open("wb") as sink,
        ):
            reply.raise_for_status()
            for piece in reply.iter_bytes(BLOCK):
                sink.write(piece)
        downloaded = time.perf_counter()
        phase("end")
        summary = client.get(job["links"]["summary"]).json()
    timings.update(
        upload=uploaded - started,
        processing=processed - uploaded,
        download=downloaded - processed,
        total=downloaded - started,
        job=job,
        summary=summary,
    )
    return timings


class Profiler:
    """py-spy on the server's process tree, one raw profile per phase of the job."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.spy: subprocess.Popen[bytes] | None = None
        self.phases: dict[str, Path] = {}

    def __call__(self, phase: str) -> None:
        if self.spy is not None:
            self.spy.send_signal(signal.SIGINT)
            self.spy.wait(timeout=60)
            self.spy = None
        if phase == "end":
            return
        out = WORK / f"cleaning-profile-{phase}.txt"
        out.unlink(missing_ok=True)
        command = [str(BIN / "py-spy"), "record", "--nonblocking", "--subprocesses", "-f", "raw"]
        command += ["-p", str(self.pid), "-d", "3600", "-o", str(out)]
        self.spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.phases[phase] = out
        time.sleep(0.5)  # let it attach before the phase starts


def hot_spots(raw: Path, top: int = 12) -> tuple[int, list[tuple[str, float, float]]]:
    """Samples, and (function, inclusive share, self share) from py-spy's collapsed stacks.

    Functions are named without line numbers; the event loop and threads waiting for work
    are left out of the self ranking.
    """
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n, frames = int(count), []
        for frame in stack.split(";")[1:]:  # the first names the process
            name, _, where = frame.partition(" (")
            frames.append(f"{name} ({where.rsplit(':', 1)[0].removeprefix(str(ROOT) + '/')})")
        if not frames:
            continue
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    if not total:
        return 0, []
    ranked = [f for f, _ in own.most_common() if not f.startswith(IDLE)][:top]
    return total, [(f, inclusive[f] / total, own[f] / total) for f in ranked]


def app_frames(raw: Path, top: int = 12) -> list[tuple[str, float]]:
    """The project's own functions (app/, seed/) by inclusive share."""
    total, _ = hot_spots(raw, 0)
    inclusive: Counter[str] = Counter()
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        names = {
            f.partition(" (")[0] + " (" + f.partition(" (")[2].rsplit(":", 1)[0] + ")"
            for f in stack.split(";")[1:]
            if " (app/" in f
        }
        for name in names:
            inclusive[name] += int(count)
    return [(f, n / total) for f, n in inclusive.most_common(top)] if total else []


# --- grading ------------------------------------------------------------------------------


def revealed(result: dict[str, Any]) -> set[str]:
    """The faults a cleaning result points at, as bench/dataset_accuracy.py grades them."""
    if result["status"] == "invalid":
        return {f"invalid:{result.get('reason')}"}
    decision = "not_found" if result["status"] == "not_found" else result["status"]
    return revealed_faults({**result, "decision": decision})


def grade(answers: Path, results: Path) -> dict[str, Any]:
    report: dict[str, Any] = {"faults": 0, "found": 0, "faulty_rows": 0, "rows_right": 0}
    report.update(clean_rows=0, clean_flagged=0, misses=Counter(), flagged=Counter())
    with answers.open("rb") as keys, results.open("rb") as got:
        for n, (key_line, result_line) in enumerate(zip(keys, got, strict=True), start=1):
            answer, result = orjson.loads(key_line), orjson.loads(result_line)
            if result["row"] != n or answer["row"] != n:
                raise RuntimeError(f"row {n}: results out of order ({result['row']})")
            injected, found = set(answer["faults"]), revealed(result)
            if injected:
                report["faulty_rows"] += 1
                report["faults"] += len(injected)
                report["found"] += len(injected & found)
                report["rows_right"] += injected == found
                for fault in injected - found:
                    report["misses"][f"{fault} → {sorted(found)}"] += 1
            else:
                report["clean_rows"] += 1
                if result["status"] != "clean":
                    report["clean_flagged"] += 1
                    report["flagged"][f"{result['status']} {sorted(found)}"] += 1
    return report


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--citizens", type=int, default=1_000_000)
    parser.add_argument("--error-rate", type=float, default=0.2)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--workers", type=int, default=0, help="`popreg worker` processes (serve --job-workers)."
    )
    parser.add_argument("--serve-workers", type=int, default=None, help="uvicorn processes.")
    parser.add_argument("--profile", action="store_true", help="py-spy the server meanwhile.")
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    args = parser.parse_args()
    serve_workers = args.serve_workers or (2 if args.backend == "postgresql" else 1)
    WORK.mkdir(parents=True, exist_ok=True)
    server_url = os.environ.get("POPREG_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    scratch_name = f"popreg_bench_clean_{uuid.uuid4().hex[:8]}"
    if args.backend == "sqlite":
        registry = sqlite_registry(args.citizens)
        data, answers = dataset(registry, args.citizens, args.rows, args.error_rate)
        scratch = WORK / f"{scratch_name}.db"
        shutil.copyfile(registry.removeprefix("sqlite:///"), scratch)
        url = f"sqlite:///{scratch}"
    else:
        template = postgres_registry(server_url, args.citizens)
        data, answers = dataset(
            _pg_url(server_url, template), args.citizens, args.rows, args.error_rate
        )
        _admin(server_url, f'CREATE DATABASE "{scratch_name}" TEMPLATE "{template}"')
        url = _pg_url(server_url, scratch_name)
    upgrade(url)  # a registry cached by an older popreg is migrated on the copy
    results = WORK / "cleaning-results.ndjson"
    log = WORK / "cleaning-server.log"
    log.write_bytes(b"")
    env = {
        "POPREG_DATABASE_URL": url,
        "POPREG_RATE_LIMITS": "false",
        "POPREG_ACCESS_LOG": "false",
        "POPREG_LOG_LEVEL": "WARNING",
    }
    base = f"http://127.0.0.1:{PORT}"
    serve = [str(BIN / "popreg"), "serve", "--port", str(PORT), "--workers", str(serve_workers)]
    serve += ["--job-workers", str(args.workers)]  # `popreg worker` processes it looks after
    processes = [start(serve, env, log)]
    try:
        wait_until_up(f"{base}/healthz", processes[0])
        sampler = RssSampler([p.pid for p in processes])
        sampler.start()
        profiler = Profiler(processes[0].pid) if args.profile else None
        try:
            timing = run_job(base, data, results, profiler or (lambda _: None))
        except (httpx.HTTPError, RuntimeError) as error:
            sys.exit(f"the job went wrong: {error!r}; the server's log is {log}")
        finally:
            sampler.stop()
            if profiler is not None:
                profiler("end")
    finally:
        for process in reversed(processes):
            stop(process)
        if args.backend == "sqlite" and not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{scratch}{suffix}").unlink(missing_ok=True)
        elif args.backend == "postgresql" and not args.keep:
            _admin(server_url, f'DROP DATABASE IF EXISTS "{scratch_name}" WITH (FORCE)')
    report = grade(answers, results)
    print_report(args, serve_workers, data, timing, sampler, report)
    for phase, raw in (profiler.phases if profiler else {}).items():
        if not raw.exists():
            continue
        total, spots = hot_spots(raw)
        print(f"\n{phase}{' + processing' if phase == 'upload' else ''}: py-spy, {total:,} samples")
        print("\n| busiest functions (self) | inclusive | self |\n|---|---:|---:|")
        for name, inclusive, own in spots:
            print(f"| `{name}` | {inclusive:.1%} | {own:.1%} |")
        print("\n| popreg functions | inclusive |\n|---|---:|")
        for name, inclusive in app_frames(raw):
            print(f"| `{name}` | {inclusive:.1%} |")


def print_report(
    args: argparse.Namespace,
    serve_workers: int,
    data: Path,
    timing: dict[str, Any],
    sampler: RssSampler,
    report: dict[str, Any],
) -> None:
    rows, job, summary = args.rows, timing["job"], timing["summary"]
    per_million = 1_000_000 / rows
    found = report["found"] / report["faults"] if report["faults"] else 1.0
    right = report["rows_right"] / report["faulty_rows"] if report["faulty_rows"] else 1.0
    flagged = report["clean_flagged"] / report["clean_rows"] if report["clean_rows"] else 0.0
    peak = sampler.peak_kib / 1024
    print(
        f"\n{rows:,} telecom rows ({data.stat().st_size / 2**20:,.0f} MiB CSV, error rate "
        f"{args.error_rate:g}) against {args.citizens:,} citizens, {args.backend}, "
        f"{serve_workers} uvicorn worker(s), --job-workers {args.workers}, {os.cpu_count()} "
        f"CPUs; at the 202 the job was {timing['at_upload']}\n"
    )
    target_s = TARGETS["seconds_per_million"] / per_million
    aim_s = TARGETS["aim_per_million"] / per_million
    print("| measure | measured | target |\n|---|---:|---:|")
    print(
        f"| end to end (upload → done → results) | {timing['total']:.1f} s | "
        f"≤ {target_s:.1f} s (aim {aim_s:.1f} s) pro rata; ≤ 30 s for 1M |"
    )
    print(f"| rows/s end to end | {rows / timing['total']:,.0f} | ≥ 33,333 (aim 66,667) |")
    print(f"| upload (streamed, until the 202) | {timing['upload']:.1f} s | |")
    print(f"| processing after the upload | {timing['processing']:.1f} s | |")
    print(f"| results download (NDJSON) | {timing['download']:.1f} s | |")
    print(f"| rows/s reported by the job | {job['rows_per_second'] or 0:,.0f} | |")
    print(f"| peak RSS, server + workers | {peak:,.0f} MiB | ≤ {TARGETS['rss_mib']:.0f} MiB |")
    print(f"| peak RSS, largest process | {sampler.peak_one_kib / 1024:,.0f} MiB | |")
    print(f"| peak PSS, server + workers | {sampler.peak_pss_kib / 1024:,.0f} MiB | |")
    cpu = sampler.cpu()
    busy = sum(cpu) / (timing["total"] * (os.cpu_count() or 1))
    each = " + ".join(f"{seconds:.1f}" for seconds in cpu)
    print(f"| CPU time, server + workers | {sum(cpu):.1f} s ({each}); {busy:.0%} of the CPUs | |")
    print(f"| injected faults found, right reason | {found:.2%} | ≥ 99 % |")
    print(f"| faulty rows graded exactly right | {right:.2%} | |")
    print(
        f"| clean rows flagged (status ≠ clean) | {flagged:.3%} "
        f"({report['clean_flagged']:,} of {report['clean_rows']:,}) | ≤ 0.1 % |"
    )
    print("\n| status | rows |\n|---|---:|")
    for status, n in summary["by_status"].items():
        print(f"| {status} | {n:,} |")
    print("\n| reason (top 10) | rows |\n|---|---:|")
    for reason, n in list(summary["by_reason"].items())[:10]:
        print(f"| {reason} | {n:,} |")
    print(f"\nfields checked {summary['fields_checked']:,}, fee {summary['fee_vnd']:,} VND")
    for title, counter in (("missed faults", "misses"), ("clean rows flagged", "flagged")):
        if report[counter]:
            print(f"\n{title} (top 5):")
            for what, n in report[counter].most_common(5):
                print(f"  {n:>7,}  {what}")


if __name__ == "__main__":
    main()
