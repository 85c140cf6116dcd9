"""How often verification names exactly the faults injected into the dirty datasets.

    .venv/bin/python bench/dataset_accuracy.py [--database-url URL] [--size 5000]

Generates each sector's dataset from the seeded registry (popreg dataset), verifies
every row in batches of 1,000 through the API (in process, demo agencies), and
grades each row against the answer key (seed/datasets/grading.py).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.agencies.keys import demo_api_key
from app.config import Settings
from app.db import build_engine
from app.main import create_app
from seed.datasets.generate import generate_dataset
from seed.datasets.grading import grade, verification_record
from seed.datasets.sectors import DatasetSector

VERIFIERS = {
    "telecom": ("saomai-telecom", "subscriber_verification"),
    "bank": ("phusa-bank", "kyc_refresh"),
    "social_insurance": ("social-insurance-demo", "benefit_records"),
    "hospital": ("honglinh-hospital", "patient_checkin"),
}


async def run(url: str, size: int, error_rate: float) -> None:
    engine = build_engine(Settings(database_url=url))
    app = create_app(
        Settings(database_url=url, rate_limits=False, access_log=False, log_level="WARNING")
    )
    transport = httpx.ASGITransport(app=app)
    print("| sector | rows | rows with faults | graded right | accuracy | verify rows/s |")
    print("|---|---:|---:|---:|---:|---:|")
    async with httpx.AsyncClient(transport=transport, base_url="http://b", timeout=120) as client:
        for sector, (agency, purpose) in VERIFIERS.items():
            records, answers, _ = generate_dataset(
                engine, sector=DatasetSector(sector), size=size, error_rate=error_rate, seed=5
            )
            started = time.perf_counter()
            results = []
            for start in range(0, len(records), 1000):
                batch = [verification_record(sector, r) for r in records[start : start + 1000]]
                response = await client.post(
                    "/v1/identity/verify/batch",
                    json={"purpose": purpose, "records": batch},
                    headers={"X-API-Key": demo_api_key(agency).secret},
                )
                response.raise_for_status()
                results.extend(response.json()["results"])
            seconds = time.perf_counter() - started
            report = grade(answers, results)
            faulty = sum(1 for a in answers if a["faults"])
            print(
                f"| {sector} | {report.rows:,} | {faulty:,} | {report.right:,} | "
                f"{report.accuracy:.2%} | {report.rows / seconds:,.0f} |"
            )
            for miss, count in report.misses.most_common(3):
                print(f"|   miss ×{count} | {miss} | | | | |")
    app.state.database.dispose()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="sqlite:///var/bench/lookup-100000.db")
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--error-rate", type=float, default=0.6)
    args = parser.parse_args()
    asyncio.run(run(args.database_url, args.size, args.error_rate))


if __name__ == "__main__":
    main()
