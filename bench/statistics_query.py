"""Statistics query latency: a province × sex × age-band table over a seeded registry.

    .venv/bin/python bench/statistics_query.py [--citizens 100000] [--runs 15]
        [--backend sqlite|postgresql]

1. Seeds a registry once with `popreg seed --citizens N --seed 1` (what `make run`
   seeds) and the demo agencies: SQLite var/bench/statistics-<N>.db, PostgreSQL the
   database popreg_bench_statistics_<N> on POPREG_BENCH_POSTGRES_URL's server.
2. Asks each query --runs times in process through the whole app (ASGI: auth, SQL,
   disclosure control, JSON, the audit record committed) as the planning ministry,
   after one warm-up, and times the phases on their own: the GROUP BY, the
   suppression, the JSON document.
3. Prints a Markdown table for docs/benchmarks.md: medians and p90 of wall time, and
   the process's CPU time per query (steadier than wall time on a shared machine).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORK = ROOT / "var" / "bench"
# Run as a script, this folder comes first on sys.path; "import seed" must find the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]
sys.path.insert(0, str(ROOT))

from app.agencies.demo import ensure_demo_agencies  # noqa: E402
from app.agencies.keys import demo_api_key  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import Database  # noqa: E402
from app.main import create_app  # noqa: E402
from app.schema import upgrade  # noqa: E402
from app.statistics import rendering, repository  # noqa: E402
from app.statistics.dimensions import AgeBands, Dimension  # noqa: E402
from app.statistics.disclosure import protect  # noqa: E402
from app.statistics.query import Asked, check  # noqa: E402
from app.statistics.service import PopulationTable, table_cells, today  # noqa: E402
from seed import count_citizens  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
AGENCY, PURPOSE = "planning-ministry-demo", "population_planning"
QUERIES = [
    {"group_by": "province,sex,age_band"},
    {"group_by": "province,sex,age_band", "age_bands": "5"},
    {"group_by": "province_2025,ethnicity"},
    {"group_by": "ward,sex", "province": "001"},
]


def _database_url(backend: str, citizens: int) -> str:
    if backend == "sqlite":
        WORK.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{WORK / f'statistics-{citizens}.db'}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = Settings(
        database_url=os.environ.get("POPREG_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    ).database_url
    name = f"popreg_bench_statistics_{citizens}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        found = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
        if found is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def _ensure_seeded(url: str, citizens: int) -> None:
    upgrade(url)
    database = Database(Settings(database_url=url))
    try:
        if count_citizens(database.engine) == 0:
            print(f"seeding {citizens:,} citizens (popreg seed) …", flush=True)
            env = {**os.environ, "POPREG_DATABASE_URL": url}
            command = [str(BIN / "popreg"), "seed", "--citizens", str(citizens), "--seed", "1"]
            subprocess.run(command, check=True, env=env)
        with database.session_factory.begin() as session:
            ensure_demo_agencies(session)
    finally:
        database.dispose()


Timings = tuple[list[float], list[float], Any]  # wall seconds, CPU seconds, last result


def _timed(function: Callable[[], Any], runs: int) -> Timings:
    walls, cpus, result = [], [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus, result


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"{statistics.median(values) * 1000:,.0f} / {p90 * 1000:,.0f}"


async def _http(
    url: str, params: dict[str, str], runs: int
) -> tuple[list[float], list[float], Any]:
    app = create_app(Settings(database_url=url, access_log=False, rate_limits=False))
    headers = {"X-API-Key": demo_api_key(AGENCY).secret, "X-Purpose": PURPOSE}
    transport = httpx.ASGITransport(app=app)
    walls, cpus = [], []
    body: Any = None
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for attempt in range(runs + 1):
                wall, cpu = time.perf_counter(), time.process_time()
                response = await client.get(
                    "/v1/statistics/population", params=params, headers=headers
                )
                response.raise_for_status()
                if attempt:  # the first is a warm-up
                    walls.append(time.perf_counter() - wall)
                    cpus.append(time.process_time() - cpu)
                body = response.json()
    finally:
        await app.state.audit.close()
        app.state.database.dispose()
    return walls, cpus, body


def _phases(url: str, params: dict[str, str], runs: int) -> dict[str, list[float]]:
    asked = Asked(
        group_by=[params["group_by"]],
        filters={d: params[d.value] for d in Dimension if d.value in params},
        age_bands=AgeBands(params.get("age_bands", "10")),
    )
    checked = check(asked, today=today(), min_k=10)
    database = Database(Settings(database_url=url))
    try:
        sql, _, rows = _timed(lambda: repository.count_table(database.engine, checked.table), runs)
    finally:
        database.dispose()
    cells = table_cells(checked, rows)
    sdc, _, table = _timed(lambda: protect(cells, k=10, rounding_base=5), runs)
    json_, _, _ = _timed(lambda: rendering.document(PopulationTable(checked, table)), runs)
    return {"sql": sql, "sdc": sdc, "json": json_}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--citizens", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    url = _database_url(args.backend, args.citizens)
    _ensure_seeded(url, args.citizens)
    print(
        f"{args.backend}, {args.citizens:,} citizens, {args.runs} runs each "
        "(median / p90 in ms; CPU = this process's CPU time per request)\n"
    )
    print(
        "| query | cells | suppressed (primary + secondary) | request wall | request CPU "
        "| GROUP BY | suppression | JSON |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for params in QUERIES:
        walls, cpus, body = asyncio.run(_http(url, params, args.runs))
        phases = _phases(url, params, args.runs)
        control = body["disclosure_control"]
        label = "&".join(f"{k}={v}" for k, v in params.items())
        print(
            f"| `{label}` | {len(body['cells']):,} | {control['primary']:,} + "
            f"{control['secondary']:,} | {_ms(walls)} | {_ms(cpus)} | {_ms(phases['sql'])} "
            f"| {_ms(phases['sdc'])} | {_ms(phases['json'])} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
