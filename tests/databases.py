"""Scratch PostgreSQL databases for tests: created on the test server, dropped after."""

from __future__ import annotations

import os

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.config import Settings

DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_server_url() -> str:
    """The server tests use: ``POPREG_TEST_POSTGRES_URL`` or the local default."""
    return Settings(
        database_url=os.environ.get("POPREG_TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL)
    ).database_url


def _admin(server_url: str, statement: str) -> None:
    admin = create_engine(
        server_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


def create_postgres_database(server_url: str, name: str) -> str:
    """Create database ``name`` next to ``server_url``'s and return its URL."""
    _admin(server_url, f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(server_url: str, name: str) -> None:
    _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
