"""Lookup throughput: popreg against a bare-Starlette ceiling and json-server, in one run.

    .venv/bin/python bench/lookup.py [--citizens 100000] [--duration 15]

1. Seeds var/bench/lookup.db once (citizens, personas, demo agencies).
2. Serves popreg (one uvicorn worker, auth + policy on; audit on, then off), a bare Starlette app
   returning a fixed citizen (the ceiling for Python here) and, when Node is on
   the machine, json-server 0.17 holding the same sampled citizens.
3. Drives each with wrk (one thread, random IDs), then popreg at half its peak
   rate with Locust for the latency percentiles.
Prints a Markdown table for docs/benchmarks.md. Needs `wrk` (Debian package).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORK = ROOT / "var" / "bench"
sys.path.insert(0, str(ROOT))

from app.agencies.demo import DEMO_AGENCIES  # noqa: E402
from app.agencies.keys import demo_api_key  # noqa: E402
from app.auth.principal import PurposePolicy  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import Database  # noqa: E402
from app.identity.service import lookup_citizen  # noqa: E402
from app.models.enums import CitizenField  # noqa: E402

LUA = """
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
math.randomseed(7)
request = function()
  return wrk.format("GET", "%(prefix)s" .. ids[math.random(#ids)], %(headers)s)
end
"""


def prepare(citizens: int) -> Path:
    from seed import ensure_registry

    database = WORK / f"lookup-{citizens}.db"
    ensure_registry(f"sqlite:///{database}", citizens)
    return database


def sample_ids(database: Path, count: int) -> list[str]:
    import sqlite3

    with sqlite3.connect(database) as connection:
        ids = [row[0] for row in connection.execute("SELECT personal_id FROM citizen")]
    return random.Random(1).sample(ids, min(count, len(ids)))


def wait_until_up(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer means the server is up
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def server(command: list[str], probe: str, env: dict[str, str] | None = None) -> Iterator[None]:
    process = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(probe)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def wrk(
    url: str, ids_file: Path, prefix: str, headers: dict[str, str], duration: int, connections: int
) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) of a closed-loop wrk run."""
    lua_headers = "{" + ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items()) + "}"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % {"ids": ids_file, "prefix": prefix, "headers": lua_headers})
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"errors during the run:\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    assert p99 is not None
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return rate, float(p99.group(1)) * scale


def locust_at(
    url: str, ids_file: Path, key: str, purpose: str, rate: float, duration: int
) -> dict[str, float]:
    users = 50
    prefix = WORK / "locust"
    env = {
        "BENCH_IDS": str(ids_file),
        "BENCH_KEY": key,
        "BENCH_PURPOSE": purpose,
        "BENCH_USER_RATE": str(rate / users),
    }
    subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "locust_lookup.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{duration}s",
            "--host",
            url,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    with open(f"{prefix}_stats.csv", encoding="utf-8") as stats:
        row = next(r for r in csv.DictReader(stats) if r["Name"] == "Aggregated")
    return {
        "rate": float(row["Requests/s"]),
        "p50": float(row["50%"]),
        "p99": float(row["99%"]),
        "failures": float(row["Failure Count"]),
    }


def json_server_db(database: Path, ids: list[str], agency: str, purpose: str) -> Path:
    """The same documents popreg serves to this purpose, for json-server to hold in memory."""
    spec = next(a for a in DEMO_AGENCIES if a.code == agency).purposes[purpose]
    policy = PurposePolicy(
        purpose, frozenset(spec.operations), tuple(f for f in CitizenField if f in spec.fields)
    )
    db = Database(Settings(database_url=f"sqlite:///{database}"))
    try:
        rows = [{"id": pid, **lookup_citizen(db, pid, policy)} for pid in ids]
    finally:
        db.dispose()
    path = WORK / "json-server-db.json"
    path.write_text(json.dumps({"citizens": rows}, ensure_ascii=False), encoding="utf-8")
    return path


def json_server_binary() -> Path | None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        return None
    home = WORK / "node"
    binary = home / "node_modules" / ".bin" / "json-server"
    if not binary.exists():
        subprocess.run(
            [
                "npm",
                "install",
                "--silent",
                "--prefix",
                str(home),
                "json-server@0.17.4",
            ],
            check=True,
            capture_output=True,
        )
    return binary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--agency", default="honglinh-hospital")
    parser.add_argument("--purpose", default="patient_checkin")
    parser.add_argument("--access-log", action="store_true", help="Keep the access log on.")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    WORK.mkdir(parents=True, exist_ok=True)
    database = prepare(args.citizens)
    ids = sample_ids(database, 10_000)
    ids_file = WORK / "ids.txt"
    ids_file.write_text("\n".join(ids) + "\n", encoding="utf-8")
    key = demo_api_key(args.agency).secret
    headers = {"X-API-Key": key, "X-Purpose": args.purpose}
    results: dict[str, tuple[float, float]] = {}
    base_env = {
        "POPREG_DATABASE_URL": f"sqlite:///{database}",
        "POPREG_ACCESS_LOG": str(args.access_log).lower(),
        "POPREG_LOG_LEVEL": "WARNING",
        # A load test measures the server, not the agency's token bucket.
        "POPREG_RATE_LIMITS": "false",
    }
    half: dict[str, float] = {}
    for audit in ("on", "off"):
        env = {**base_env, "POPREG_AUDIT_ENABLED": str(audit == "on").lower()}
        name = f"popreg, audit {audit}"
        with server(
            [str(BIN / "popreg"), "serve", "--port", "8101", "--workers", "1"],
            "http://127.0.0.1:8101/healthz",
            env,
        ):
            url = "http://127.0.0.1:8101"
            wrk(url, ids_file, "/v1/citizens/", headers, 3, args.connections)
            results[name] = wrk(
                url, ids_file, "/v1/citizens/", headers, args.duration, args.connections
            )
            if audit == "on":
                rate = results[name][0] / 2
                half = locust_at(url, ids_file, key, args.purpose, rate, args.duration)
    with server(
        [
            str(BIN / "uvicorn"),
            "bench.bare_app:app",
            "--port",
            "8102",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        "http://127.0.0.1:8102/v1/citizens/x",
    ):
        wrk("http://127.0.0.1:8102", ids_file, "/v1/citizens/", {}, 3, args.connections)
        results["bare Starlette (ceiling)"] = wrk(
            "http://127.0.0.1:8102", ids_file, "/v1/citizens/", {}, args.duration, args.connections
        )
    binary = json_server_binary()
    if binary is not None:
        db_file = json_server_db(database, ids, args.agency, args.purpose)
        with server(
            [str(binary), "--port", "8103", "--quiet", str(db_file)],
            "http://127.0.0.1:8103/citizens/" + ids[0],
        ):
            wrk("http://127.0.0.1:8103", ids_file, "/citizens/", {}, 3, args.connections)
            results["json-server 0.17"] = wrk(
                "http://127.0.0.1:8103", ids_file, "/citizens/", {}, args.duration, args.connections
            )
    popreg_rate = results["popreg, audit on"][0]
    ceiling = results["bare Starlette (ceiling)"][0]
    print(
        f"\n{args.citizens:,} citizens, {args.agency}/{args.purpose}, wrk -t1 "
        f"-c{args.connections} -d{args.duration}s, one uvicorn worker, access log "
        f"{'on' if args.access_log else 'off'}\n"
    )
    print("| server | req/s | p99 (ms) at peak |\n|---|---:|---:|")
    for name, (rate, p99) in results.items():
        print(f"| {name} | {rate:,.0f} | {p99:.1f} |")
    print(f"\npopreg (audit on) / ceiling = {popreg_rate / ceiling:.2f} (target ≥ 0.25)")
    audit_cost = 1 - popreg_rate / results["popreg, audit off"][0]
    print(f"throughput lost to the audit log: {audit_cost:.0%}")
    if "json-server 0.17" in results:
        print(
            f"popreg / json-server = {popreg_rate / results['json-server 0.17'][0]:.2f} "
            "(target ≥ 1.8)"
        )
    print(
        f"at half peak ({half['rate']:,.0f} req/s, Locust): p50 {half['p50']:.0f} ms, "
        f"p99 {half['p99']:.0f} ms, failures {half['failures']:.0f} (target p99 ≤ 20 ms)"
    )


if __name__ == "__main__":
    main()
