"""Seeding benchmark: N citizens into a fresh SQLite file and a fresh PostgreSQL database.

    .venv/bin/python bench/seed.py --citizens 1000000 --runs 2

Each run is a fresh process (so peak RSS is per run) seeding an empty, migrated
database; the PostgreSQL database is created on the server at
POPREG_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test)
and dropped afterwards. Prints seconds, citizens per second and peak RSS of the main
process and of the largest helper process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Run as a script, this file's folder comes first on sys.path and "import seed" would
# import this file again instead of the seed package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]


def _one_run(url: str, citizens: int, seed: int, helpers: int | None) -> None:
    """Seed once in this process and print a JSON line."""
    from app.config import Settings
    from app.db import build_engine
    from app.schema import upgrade
    from seed import populate

    upgrade(url)
    engine = build_engine(Settings(database_url=url))
    report = populate(engine, citizens=citizens, seed=seed, helpers=helpers)
    engine.dispose()
    result = {
        "seconds": round(report.seconds, 2),
        "citizens_per_second": round(report.citizens_per_second),
        "households": report.households,
        "identity_cards": report.identity_cards,
        "helpers": report.helpers,
        "phases": report.phases,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "helper_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }
    print(json.dumps(result))


def _postgres_database(server_url: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"popreg_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _drop_postgres(server_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _measure(url: str, args: argparse.Namespace) -> dict[str, object]:
    command = [sys.executable, __file__, "--one", url, "--citizens", str(args.citizens)]
    command += ["--seed", str(args.seed)]
    if args.helpers is not None:
        command += ["--helpers", str(args.helpers)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--citizens", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--helpers", type=int, default=None)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _one_run(args.one, args.citizens, args.seed, args.helpers)
        return
    server = os.environ.get("POPREG_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        for run in range(1, args.runs + 1):
            with tempfile.TemporaryDirectory(prefix="popreg-bench-") as directory:
                if backend == "sqlite":
                    result = _measure(f"sqlite:///{Path(directory) / 'bench.db'}", args)
                else:
                    name, url = _postgres_database(server)
                    try:
                        result = _measure(url, args)
                    finally:
                        _drop_postgres(server, name)
            print(
                f"{backend:10} run {run}: {args.citizens:,} citizens  {json.dumps(result)}",
                flush=True,
            )


if __name__ == "__main__":
    main()
