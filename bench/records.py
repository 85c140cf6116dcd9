"""Sector records: what a sector field costs a lookup, and how fast batches are pushed.

    .venv/bin/python bench/records.py [--citizens 100000] [--lookups 20000] [--batches 5]

1. Seeds var/bench/records-N.db once (citizens with their seeded records, demo agencies).
2. Times ``lookup_citizen`` in-process (no HTTP) for random living citizens under the
   hospital's check-in fields with and without the ``health_insurance`` record, and
   under the traffic police's ``traffic_control`` (licence and vehicles).
3. Times ``render_many`` over pages of 1,000 citizens with every sector field.
4. Pushes batches of 1,000 driving licences (half new, half changed) through
   ``POST /v1/records:batch`` in-process (ASGI, audit on) and reports records/s.
Prints one line per measurement for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench"
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402

from app.agencies.demo import DEMO_AGENCIES  # noqa: E402
from app.agencies.keys import demo_api_key  # noqa: E402
from app.auth.principal import PurposePolicy  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import Database  # noqa: E402
from app.identity import repository  # noqa: E402
from app.identity.documents import render_many  # noqa: E402
from app.identity.fields import columns_for  # noqa: E402
from app.identity.provinces import PROVINCES  # noqa: E402
from app.identity.service import lookup_citizen  # noqa: E402
from app.main import create_app  # noqa: E402
from app.models.enums import CitizenField as F  # noqa: E402
from app.records.kinds import SECTOR_FIELDS  # noqa: E402


def policy(agency: str, purpose: str, drop: frozenset[F] = frozenset()) -> PurposePolicy:
    spec = next(a for a in DEMO_AGENCIES if a.code == agency).purposes[purpose]
    fields = tuple(f for f in F if f in spec.fields and f not in drop)
    return PurposePolicy(purpose, frozenset(spec.operations), fields)


def time_lookups(database: Database, ids: list[str], rule: PurposePolicy) -> float:
    for personal_id in ids[:500]:  # warm the page cache
        lookup_citizen(database, personal_id, rule)
    started = time.perf_counter()
    for personal_id in ids:
        lookup_citizen(database, personal_id, rule)
    return (time.perf_counter() - started) / len(ids) * 1e6


def time_pages(database: Database, ids: list[str]) -> float:
    fields = (F.PERSONAL_ID, F.FULL_NAME, *sorted(SECTOR_FIELDS))
    pages = [ids[start : start + 1000] for start in range(0, len(ids), 1000)]
    started = time.perf_counter()
    with database.reader.session() as session:
        for page in pages:
            rows = repository.citizens_by_keys(session, "personal_id", page, columns_for(fields))
            render_many(session, rows, fields, PROVINCES)
    return len(ids) / (time.perf_counter() - started)


async def time_batches(url: str, people: list[tuple[str, str, str]], batches: int) -> float:
    # Off: the demo agencies may push 1,000 records a second, and this measures the push.
    app = create_app(Settings(database_url=url, access_log=False, rate_limits=False))
    headers = {
        "X-API-Key": demo_api_key("transport-licensing-demo").secret,
        "X-Purpose": "licence_issuing",
    }
    pushed = 0
    started = time.perf_counter()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=120
        ) as client,
    ):
        started = time.perf_counter()
        for batch in range(batches):
            chunk = people[batch * 1000 : (batch + 1) * 1000]
            records = [
                {
                    "personal_id": personal_id,
                    "kind": "driving_licence",
                    "holder": {"full_name": name, "birth_date": born},
                    "number": f"99{index:010d}",
                    "valid_from": "2026-06-01",
                    "data": {"classes": ["A1", "B"], "issued_by": "Sở GTVT (bench)"},
                }
                for index, (personal_id, name, born) in enumerate(chunk, start=batch * 1000)
            ]
            answer = await client.post(
                "/v1/records:batch", json={"records": records}, headers=headers
            )
            assert answer.status_code == 200, answer.text[:500]
            summary = answer.json()["summary"]
            assert summary["accepted"] == len(records), summary
            pushed += len(records)
        elapsed = time.perf_counter() - started
    return pushed / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--citizens", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--batches", type=int, default=5)
    args = parser.parse_args()

    from seed import ensure_registry

    path = WORK / f"records-{args.citizens}.db"
    url = f"sqlite:///{path}"
    ensure_registry(url, args.citizens)
    database = Database(Settings(database_url=url))
    with database.engine.connect() as connection:
        living = connection.execute(
            text(
                "SELECT personal_id, full_name, birth_date FROM citizen "
                "WHERE death_date IS NULL ORDER BY id"
            )
        ).all()
        records = connection.execute(text("SELECT count(*) FROM sector_record")).scalar_one()
    print(f"{args.citizens:,} citizens, {records:,} sector records ({path})")
    rng = random.Random(7)
    sample = [row[0] for row in rng.sample(living, min(args.lookups, len(living)))]

    checkin = policy("honglinh-hospital", "patient_checkin")
    without = policy("honglinh-hospital", "patient_checkin", frozenset({F.HEALTH_INSURANCE}))
    traffic = policy("traffic-police-demo", "traffic_control")
    traffic_bare = policy(
        "traffic-police-demo",
        "traffic_control",
        frozenset({F.DRIVING_LICENCE, F.VEHICLE_REGISTRATIONS}),
    )
    for label, rule in (
        ("patient_checkin without the health_insurance record", without),
        ("patient_checkin with it", checkin),
        ("traffic_control identity only", traffic_bare),
        ("traffic_control with licence and vehicles", traffic),
    ):
        print(f"lookup_citizen, {label}: {time_lookups(database, sample, rule):.1f} µs")
    print(f"render_many, every sector field: {time_pages(database, sample):,.0f} citizens/s")
    database.dispose()

    people = [(row[0], row[1], str(row[2])[:10]) for row in rng.sample(living, args.batches * 1000)]
    rate = asyncio.run(time_batches(url, people, args.batches))
    print(f"POST /v1/records:batch, {args.batches} x 1,000 licences: {rate:,.0f} records/s")


if __name__ == "__main__":
    main()
