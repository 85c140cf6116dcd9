"""Acceptance: verification reveals each injected fault of the dirty datasets (≥ 99 %)."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from app.agencies.demo import ensure_demo_agencies
from app.agencies.keys import demo_api_key
from app.config import Settings
from app.db import build_engine
from app.main import create_app
from app.schema import upgrade
from seed import populate
from seed.datasets.generate import generate_dataset
from seed.datasets.grading import grade, verification_record
from seed.datasets.sectors import DatasetSector

pytestmark = pytest.mark.anyio

# Which demo agency verifies each sector's data, and under which purpose.
VERIFIERS = {
    "telecom": ("saomai-telecom", "subscriber_verification"),
    "bank": ("phusa-bank", "kyc_refresh"),
    "social_insurance": ("social-insurance-demo", "benefit_records"),
    "hospital": ("honglinh-hospital", "patient_checkin"),
}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('faults') / 'registry.db'}"
    upgrade(url)
    engine = build_engine(Settings(database_url=url))
    populate(engine, citizens=20_000, seed=11)
    from sqlalchemy.orm import Session

    with Session(engine) as session, session.begin():
        ensure_demo_agencies(session)
    yield url, engine
    engine.dispose()


@pytest.mark.parametrize("sector", list(VERIFIERS))
async def test_verification_finds_the_injected_faults(
    seeded: tuple[str, Engine], sector: str, tmp_path: Path
) -> None:
    url, engine = seeded
    records, answers, _ = generate_dataset(
        engine, sector=DatasetSector(sector), size=1000, error_rate=0.6, seed=5
    )
    agency, purpose = VERIFIERS[sector]
    app = create_app(Settings(database_url=url, rate_limits=False, access_log=False))
    transport = httpx.ASGITransport(app=app)
    results = []
    async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=60) as client:
        for start in range(0, len(records), 500):
            batch = [verification_record(sector, row) for row in records[start : start + 500]]
            response = await client.post(
                "/v1/identity/verify/batch",
                json={"purpose": purpose, "records": batch},
                headers={"X-API-Key": demo_api_key(agency).secret},
            )
            assert response.status_code == 200, response.text
            results.extend(response.json()["results"])
    app.state.database.dispose()
    report = grade(answers, results)
    faulty = sum(1 for answer in answers if answer["faults"])
    assert faulty > 400  # the dataset really is dirty
    assert report.accuracy >= 0.99, report.misses.most_common(10)
