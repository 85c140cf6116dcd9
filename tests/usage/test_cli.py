"""`popreg usage report`: one statement line per agency and a total."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from app.config import get_settings
from app.usage.cli import usage_cli
from tests.usage.conftest import UsageLog

runner = CliRunner()
# Registered as app/cli.py does: `popreg usage …`.
popreg = typer.Typer()
popreg.add_typer(usage_cli, name="usage")


@pytest.fixture
def configured(usage_log: UsageLog, monkeypatch: pytest.MonkeyPatch) -> Iterator[UsageLog]:
    monkeypatch.setenv("POPREG_DATABASE_URL", usage_log.url)
    get_settings.cache_clear()
    yield usage_log
    get_settings.cache_clear()


def _row(output: str, first_cell: str) -> list[str]:
    for line in output.splitlines():
        cells = [cell.strip() for cell in re.split(r"[│┃|]", line) if cell.strip()]
        if cells and cells[0] == first_cell:
            return cells[1:]
    raise AssertionError(f"no row {first_cell!r} in:\n{output}")


def test_report_prints_a_statement_per_agency_and_a_total(configured: UsageLog) -> None:
    result = runner.invoke(popreg, ["usage", "report", "--month", "2026-10"])
    assert result.exit_code == 0, result.output
    assert "2026-10" in result.output
    assert _row(result.output, "saomai-telecom") == ["10", "32", "32,000"]
    assert _row(result.output, "phusa-bank") == ["1", "4", "4,000"]
    assert _row(result.output, "retired-credit-fund") == ["1", "2", "2,000"]
    assert _row(result.output, "honglinh-hospital") == ["0", "0", "0"]
    assert _row(result.output, "total") == ["12", "38", "38,000"]
    assert "1,000 VND per field checked" in result.output


def test_report_refuses_an_invalid_month(configured: UsageLog) -> None:
    result = runner.invoke(popreg, ["usage", "report", "--month", "2026-13"])
    assert result.exit_code == 2
    assert "YYYY-MM" in result.output
