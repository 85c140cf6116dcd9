"""No personal data in the logs of a whole test run.

tests/log_capture.py tees every log record of the run (popreg's loggers, uvicorn,
and the stderr of the server processes tests start through tests/security/servers.py)
to one file, formatted as the server writes it. This module runs last and scans
that file for 12-digit personal IDs, 9-digit legacy IDs, phone numbers and the full
names of the test populations (fixtures, factories, personas, seeded names).

It first sends traffic full of personal data (IDs in paths, names and phones in
bodies, failed sign-ins, a lockout) through an app that logs every request, and
checks its records did reach the file: so the scan is never of an empty file.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.log_capture import log_file
from tests.security.conftest import client_of

pytestmark = [pytest.mark.runs_last, pytest.mark.anyio]

ROOT = Path(__file__).resolve().parents[2]
PROBE_REQUEST_ID = "log-scan-probe"
# The test clients' own request lines (httpx logs each URL at INFO), not the server's.
CLIENT_LOGGERS = {"httpx", "httpcore"}

PERSONAL_ID = re.compile(r"(?<![0-9A-Za-z])\d{12}(?![0-9A-Za-z])")
LEGACY_ID = re.compile(r"(?<![0-9A-Za-z.])\d{9}(?![0-9A-Za-z.])")
PHONE = re.compile(r"(?<![0-9A-Za-z+])(?:\+84|0)[ .]?[35789]\d(?:[ .]?\d){7}(?![0-9A-Za-z])")
# Full names of the registry fixture and the factories (tests/conftest.py, tests/factories.py).
FIXTURE_NAMES = {
    "Trần Văn Đức",
    "Lê Thị Hoa",
    "Trần Minh Khôi",
    "Phạm Thị Thu Hà",
    "Trần Gia Bảo",
    "Hoàng Thị Lan",
    "Nguyễn Văn An",
}


def persona_names() -> set[str]:
    personas = json.loads((ROOT / "seed" / "data" / "personas.json").read_text("utf-8"))
    return {p["full_name"] for p in personas["personas"] if p.get("full_name")}


def seeded_name_pattern() -> re.Pattern[str]:
    """A surname of the seed's list followed by two to four capitalised words."""
    with (ROOT / "seed" / "data" / "surnames.csv").open(encoding="utf-8") as file:
        surnames = sorted({row["surname"] for row in csv.DictReader(file)}, key=len, reverse=True)
    alternatives = "|".join(re.escape(s) for s in surnames)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?:\s+[^\W\d_]+){{2,4}}(?!\w)")


def log_lines() -> Iterator[tuple[int, str]]:
    path = log_file()
    assert path is not None, "tests.log_capture is not loaded (tests/conftest.py)"
    with path.open(encoding="utf-8", errors="replace") as file:
        for number, line in enumerate(file, 1):
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:
                yield number, line  # a server's plain stderr: scanned as it is
                continue
            if isinstance(entry, dict) and entry.get("logger") in CLIENT_LOGGERS:
                continue
            yield number, line


def findings(line: str, names: set[str], seeded: re.Pattern[str]) -> list[str]:
    found = [f"personal ID {m}" for m in PERSONAL_ID.findall(line)]
    found += [f"legacy ID {m}" for m in LEGACY_ID.findall(line)]
    found += [f"phone {m}" for m in PHONE.findall(line)]
    found += [f"name {n}" for n in names if n in line]
    for match in seeded.finditer(line):
        words = match.group(0).split()
        if all(word[0].isupper() for word in words):
            found.append(f"name-like {match.group(0)}")
    return found


HEAD, SPOUSE, UNKNOWN, LEGACY = "079085000103", "079187000104", "079085999999", "271450777"


def small_registry(tmp_path: Path) -> str:
    """A migrated SQLite database with the demo agencies and two citizens.

    Its own, not the session's: this module runs after every other test, and the
    session's parametrised database fixtures would be set up again in another order.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from app.agencies.demo import ensure_demo_agencies
    from app.models import Sex
    from app.schema import upgrade
    from tests.factories import make_citizen

    url = f"sqlite:///{tmp_path / 'logs.db'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        with Session(engine) as session, session.begin():
            ensure_demo_agencies(session)
            session.add(
                make_citizen(
                    personal_id=HEAD,
                    full_name="Trần Minh Khôi",
                    phone="0903123456",
                    legacy_id=LEGACY,
                )
            )
            session.add(
                make_citizen(personal_id=SPOUSE, full_name="Phạm Thị Thu Hà", sex=Sex.FEMALE)
            )
    finally:
        engine.dispose()
    return url


async def test_traffic_full_of_personal_data_reaches_the_log_without_it(tmp_path: Path) -> None:
    from app.agencies.keys import demo_api_key
    from app.config import Settings
    from app.main import create_app

    application = create_app(
        Settings(
            database_url=small_registry(tmp_path),
            access_log=True,
            auth_max_failures=2,
            citizen_login_max_failures=2,
        )
    )
    hospital = {
        "X-API-Key": demo_api_key("honglinh-hospital").secret,
        "X-Purpose": "patient_checkin",
    }
    telecom = {"X-API-Key": demo_api_key("saomai-telecom").secret}
    try:
        async with client_of(application) as client:
            probe = await client.get(
                f"/v1/citizens/{HEAD}", headers={**hospital, "X-Request-ID": PROBE_REQUEST_ID}
            )
            assert probe.status_code == 200, probe.text
            for personal_id in [HEAD, UNKNOWN, HEAD + "1", "０７９０８５"]:
                await client.get(f"/v1/citizens/{personal_id}", headers=hospital)
            await client.get(f"/v1/citizens/by-legacy-id/{LEGACY}", headers=hospital)
            await client.post(
                "/v1/identity/verify",
                headers=telecom,
                json={
                    "purpose": "subscriber_verification",
                    "personal_id": HEAD,
                    "claims": {"full_name": "Trần Minh Khôi", "phone": "0903123456"},
                },
            )
            await client.post(
                "/v1/cleaning/jobs",
                params={"sector": "telecom"},
                headers={
                    **telecom,
                    "X-Purpose": "subscriber_verification",
                    "Content-Type": "text/csv",
                },
                content=f"id_number,full_name,phone\n{SPOUSE},Phạm Thị Thu Hà,0903123456\n",
            )
            await client.get("/dashboard/tracker", params={"personal_id": SPOUSE})
            for code in ["000000", "111111", "123456"]:  # the third meets the lockout
                await client.post("/v1/citizen/login", json={"personal_id": HEAD, "code": code})
            for _ in range(3):
                await client.get(f"/v1/citizens/{HEAD}", headers={"X-API-Key": "prk_x"})
    finally:
        application.state.database.dispose()
    path = log_file()
    assert path is not None
    text = path.read_text(encoding="utf-8", errors="replace")
    assert PROBE_REQUEST_ID in text  # the app's records reach the file that is scanned
    assert "credentials locked after repeated failures" in text


def test_no_personal_data_in_the_logs_of_the_whole_run() -> None:
    names = FIXTURE_NAMES | persona_names()
    seeded = seeded_name_pattern()
    leaks = []
    scanned = 0
    for number, line in log_lines():
        scanned += 1
        for finding in findings(line, names, seeded):
            leaks.append(f"line {number}: {finding}: {line.strip()[:300]}")
    assert scanned > 0
    assert not leaks, f"{len(leaks)} findings in the run's log:\n" + "\n".join(leaks[:30])


def test_the_scan_finds_what_it_looks_for() -> None:
    names = FIXTURE_NAMES | persona_names()
    seeded = seeded_name_pattern()
    leaking = [
        '{"route": "/v1/citizens/079085000103"}',
        '{"legacy": "271450777"}',
        '{"phone": "0903123456"}',
        '{"phone": "+84 903 123 456"}',
        '{"name": "Trần Minh Khôi"}',
        '{"name": "Nghiêm Thị Ngọc Ánh"}',
    ]
    for line in leaking:
        assert findings(line, names, seeded), line
    clean = [
        '{"ts": "2026-11-22T22:26:02.880+00:00", "route": "/v1/citizens/{personal_id}"}',
        '{"request_id": "5f0c6c1e7a0b4a43a3b1d2c9e8f7a6b5", "duration_ms": 123456789.5}',
        '{"message": "credentials locked after repeated failures", "key": "prk_3f9a1c2b"}',
    ]
    for line in clean:
        assert not findings(line, names, seeded), line
