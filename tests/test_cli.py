from pathlib import Path

import pytest
from typer.testing import CliRunner

from app import __version__
from app.cli import cli
from app.schema import head_revision

runner = CliRunner()


@pytest.fixture
def empty_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    from app.config import get_settings

    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("POPREG_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(cli, ["version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == __version__


def test_db_current_fails_on_an_empty_database(empty_sqlite: str) -> None:
    result = runner.invoke(cli, ["db", "current"])
    assert result.exit_code == 1
    assert "popreg db upgrade" in result.stdout


def test_db_upgrade_migrates_to_head(empty_sqlite: str) -> None:
    result = runner.invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"current (revision {head_revision()})" in result.stdout
    assert runner.invoke(cli, ["db", "current"]).exit_code == 0


def test_serve_refuses_an_unmigrated_database(empty_sqlite: str) -> None:
    result = runner.invoke(cli, ["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "Refusing to start" in result.output
    assert "popreg db upgrade" in result.output


def test_every_command_has_help() -> None:
    for command in (["serve"], ["db", "upgrade"], ["db", "current"], ["openapi"], ["version"]):
        result = runner.invoke(cli, [*command, "--help"])
        assert result.exit_code == 0
        assert "Usage" in result.output
