"""Revision 0006 adds the limit columns without touching an agency's purposes and keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from app.config import Settings
from app.db import build_engine
from app.schema import downgrade, upgrade
from tests.conftest import BACKENDS, empty_database_url

CHILDREN = ("agency_purpose", "api_key")


@pytest.mark.parametrize("backend", BACKENDS)
def test_limits_migrate_up_and_down_keeping_purposes_and_keys(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = empty_database_url(backend, tmp_path, request)
    upgrade(url, "0005")
    engine = build_engine(Settings(database_url=url))
    now = "'2026-11-01 00:00:00'"
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO agency (id, code, name, sector, active, created_at, updated_at) "
                    f"VALUES (1, 'phusa-bank', 'Phù Sa Bank', 'bank', true, {now}, {now})"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO agency_purpose (agency_id, code, description, operations, fields,"
                    " consent_required, created_at, updated_at) VALUES (1, 'kyc', 'KYC',"
                    f" '[\"verify\"]', '[\"personal_id\"]', false, {now}, {now})"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO api_key (agency_id, prefix, key_hash, created_at)"
                    f" VALUES (1, 'prk_00000001', '{'0' * 64}', {now})"
                )
            )

        def count(table: str) -> int:
            with engine.connect() as connection:
                return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())

        upgrade(url, "0006")
        with engine.connect() as connection:
            limits = connection.execute(
                text("SELECT rate_per_second, burst, daily_quota FROM agency")
            ).one()
        assert tuple(limits) == (50.0, 100, None)
        assert [count(table) for table in CHILDREN] == [1, 1]
        downgrade(url, "0005")
        assert [count(table) for table in CHILDREN] == [1, 1]
    finally:
        engine.dispose()
