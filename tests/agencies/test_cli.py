"""`popreg agency …` against a fresh SQLite database."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.agencies.demo import DEMO_AGENCIES
from app.cli import cli
from app.config import get_settings
from app.schema import upgrade

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path}/agencies.db"
    upgrade(url)
    monkeypatch.setenv("POPREG_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_create_list_rotate_revoke_and_set_purpose(database: str, tmp_path: Path) -> None:
    purposes = tmp_path / "purposes.json"
    purposes.write_text(
        json.dumps(
            {
                "kyc": {
                    "description": "Verify members",
                    "operations": ["verify"],
                    "fields": ["personal_id", "full_name"],
                }
            }
        )
    )
    created = runner.invoke(
        cli,
        [
            "agency",
            "create",
            "credit-fund",
            "--name",
            "Quỹ Tín dụng",
            "--sector",
            "bank",
            "--purposes",
            str(purposes),
        ],
    )
    assert created.exit_code == 0, created.output
    assert "prk_" in created.stdout
    again = runner.invoke(
        cli, ["agency", "create", "credit-fund", "--name", "Other", "--sector", "bank"]
    )
    assert again.exit_code == 1
    assert "exists already" in again.output

    rotated = runner.invoke(cli, ["agency", "create-key", "credit-fund", "--label", "2027"])
    assert rotated.exit_code == 0
    prefix = rotated.stdout.split("prk_")[1][:8]
    revoked = runner.invoke(cli, ["agency", "revoke-key", f"prk_{prefix}"])
    assert revoked.exit_code == 0
    listed = runner.invoke(cli, ["agency", "list"], env={"COLUMNS": "200"})
    assert f"prk_{prefix}*" in listed.stdout

    purpose = runner.invoke(
        cli,
        [
            "agency",
            "set-purpose",
            "credit-fund",
            "contact",
            "--description",
            "Phones",
            "--operation",
            "lookup",
            "--field",
            "phone",
            "--consent-required",
        ],
    )
    assert purpose.exit_code == 0, purpose.output
    listed = runner.invoke(cli, ["agency", "list"], env={"COLUMNS": "200"})
    assert "contact, kyc" in listed.stdout


def test_unknown_agency_is_a_clear_error(database: str) -> None:
    result = runner.invoke(cli, ["agency", "create-key", "nobody"])
    assert result.exit_code == 1
    assert "No agency has the code 'nobody'" in result.output


def test_demo_prints_every_demo_key_and_is_idempotent(database: str) -> None:
    first = runner.invoke(cli, ["agency", "demo"], env={"COLUMNS": "200"})
    second = runner.invoke(cli, ["agency", "demo"], env={"COLUMNS": "200"})
    assert first.exit_code == second.exit_code == 0
    # One key per demo agency and the example curl line.
    assert first.stdout.count("prk_") == len(DEMO_AGENCIES) + 1
    assert first.stdout == second.stdout
