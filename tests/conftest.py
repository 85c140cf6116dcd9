"""Shared fixtures: migrated SQLite and PostgreSQL databases, an app and an HTTP client.

PostgreSQL tests run whenever a server answers at ``POPREG_TEST_POSTGRES_URL``
(default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``); each test session
creates a scratch database there and drops it afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import build_engine, get_session
from app.main import create_app
from app.schema import upgrade
from tests.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_server_url,
)

# Tees every log record of the run to a file that tests/security/test_logs.py scans last.
pytest_plugins = ["tests.log_capture"]

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
URL_FIXTURES = {"sqlite": "sqlite_url", "postgresql": "postgres_url"}


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database for this test session (skips if none)."""
    server_url = postgres_server_url()
    name = f"popreg_test_{uuid.uuid4().hex[:12]}"
    try:
        url = create_postgres_database(server_url, name)
    except SQLAlchemyError as exc:
        pytest.skip(f"PostgreSQL not reachable at {server_url} ({type(exc).__name__})")
    try:
        yield url
    finally:
        drop_postgres_database(server_url, name)


def empty_database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty database of the given backend, unique to the calling test (or module)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'empty-{uuid.uuid4().hex[:8]}.db'}"
    server_url = request.getfixturevalue("postgres_url")
    name = f"{make_url(server_url).database}_{uuid.uuid4().hex[:8]}"
    url = create_postgres_database(server_url, name)
    request.addfinalizer(lambda: drop_postgres_database(server_url, name))
    return url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'popreg.db'}"


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """A database migrated to head, once per backend per test session."""
    url: str = request.getfixturevalue(URL_FIXTURES[request.param])
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, log_format="console", access_log=True)


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = build_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()


@pytest.fixture
def app(settings: Settings, db_session: Session) -> Iterator[FastAPI]:
    application = create_app(settings)

    def _session_in_test_transaction() -> Iterator[Session]:
        with db_session.begin_nested():
            yield db_session

    application.dependency_overrides[get_session] = _session_in_test_transaction
    yield application
    application.state.database.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as client:
        yield client


@pytest.fixture
async def committing_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose writes are committed, for flows that span connections (credentials)."""
    application = create_app(settings)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://popreg.test") as client:
        yield client
    application.state.database.dispose()


@dataclass(frozen=True)
class Registry:
    """Rows committed once per backend for API tests; tests must not change them."""

    keys: dict[str, str]  # demo agency code → API key
    head: str  # married adult with parents, spouse, child, household and a chip card
    spouse: str
    child: str
    father: str
    deceased: str
    year_only: str
    shared_legacy_id: str  # a CMND number held by two citizens
    unknown: str  # a well-formed ID nobody has


@pytest.fixture(scope="session")
def registry(engine: Engine) -> Registry:
    return build_registry(engine)


def build_registry(engine: Engine) -> Registry:
    """Commit the registry's rows and the demo agencies (once per database)."""
    from app.agencies.demo import ensure_demo_agencies
    from app.models import CardKind, Household, IdentityCard, MaritalStatus, Sex
    from tests.factories import make_citizen

    with Session(engine) as session, session.begin():
        keys = {spec.code: key for spec, key in ensure_demo_agencies(session)}
        household = Household(household_number="079000000042", address="TP Hồ Chí Minh")
        session.add(household)
        session.flush()
        father = make_citizen(
            personal_id="079055000101",
            full_name="Trần Văn Đức",
            birth_date=date(1955, 2, 1),
            birth_registration_province_code="079",
            marital_status=MaritalStatus.WIDOWED,
        )
        mother = make_citizen(
            personal_id="079158000102",
            full_name="Lê Thị Hoa",
            sex=Sex.FEMALE,
            birth_date=date(1958, 7, 7),
            birth_registration_province_code="079",
            death_date=date(2020, 5, 1),
            marital_status=MaritalStatus.MARRIED,
        )
        session.add_all([father, mother])
        session.flush()
        head = make_citizen(
            personal_id="079085000103",
            full_name="Trần Minh Khôi",
            birth_date=date(1985, 9, 2),
            birth_registration_province_code="079",
            father_id=father.id,
            mother_id=mother.id,
            household_id=household.id,
            relationship_to_head="Chủ hộ",
            marital_status=MaritalStatus.MARRIED,
            phone="0903123456",
            legacy_id="271450777",
            health_insurance_card="DN4797912345678",
            blood_type="O",
        )
        spouse = make_citizen(
            personal_id="079187000104",
            full_name="Phạm Thị Thu Hà",
            sex=Sex.FEMALE,
            birth_date=date(1987, 12, 24),
            birth_registration_province_code="079",
            household_id=household.id,
            relationship_to_head="Vợ",
            marital_status=MaritalStatus.MARRIED,
            legacy_id="271450777",
        )
        session.add_all([head, spouse])
        session.flush()
        head.spouse_id, spouse.spouse_id = spouse.id, head.id
        child = make_citizen(
            personal_id="079212000105",
            full_name="Trần Gia Bảo",
            birth_date=date(2012, 4, 30),
            birth_registration_province_code="079",
            father_id=head.id,
            mother_id=spouse.id,
            household_id=household.id,
            relationship_to_head="Con đẻ",
        )
        year_only = make_citizen(
            personal_id="001135000106",
            full_name="Hoàng Thị Lan",
            sex=Sex.FEMALE,
            birth_date=date(1935, 1, 1),
            birth_date_precision="year",
        )
        session.add_all([child, year_only])
        session.flush()
        session.add(
            IdentityCard(
                citizen_id=head.id,
                number=head.personal_id,
                kind=CardKind.CCCD_CHIP,
                issued_on=date(2021, 4, 1),
                issued_by="Cục Cảnh sát QLHC về TTXH",
                expires_on=date(2025, 9, 2),
                has_chip=True,
            )
        )
    return Registry(
        keys=keys,
        head="079085000103",
        spouse="079187000104",
        child="079212000105",
        father="079055000101",
        deceased="079158000102",
        year_only="001135000106",
        shared_legacy_id="271450777",
        unknown="079085999999",
    )
