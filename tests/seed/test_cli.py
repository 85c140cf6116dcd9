"""``popreg seed`` and ``popreg dataset`` from the command line."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from app.cli import cli
from app.schema import upgrade
from seed.personas import PERSONAS
from tests.seed.conftest import ScratchDatabases

runner = CliRunner()


def test_seed_refuses_a_populated_registry_unless_told(scratch_databases: ScratchDatabases) -> None:
    url = scratch_databases.new("sqlite")
    upgrade(url)
    first = runner.invoke(cli, ["seed", "--citizens", "200", "--seed", "5", "--database-url", url])
    assert first.exit_code == 0, first.output
    assert "Seeded 200 citizens" in first.output

    kept = runner.invoke(cli, ["seed", "--citizens", "500", "--if-empty", "--database-url", url])
    assert kept.exit_code == 0
    assert "already holds 200 citizens; not seeding" in kept.output

    refused = runner.invoke(cli, ["seed", "--citizens", "500", "--database-url", url])
    assert refused.exit_code == 1
    assert "--replace" in refused.output

    hash_before = runner.invoke(cli, ["seed", "hash", "--database-url", url]).output.strip()
    replaced = runner.invoke(
        cli, ["seed", "--citizens", "200", "--seed", "6", "--replace", "--database-url", url]
    )
    assert replaced.exit_code == 0, replaced.output
    hash_after = runner.invoke(cli, ["seed", "hash", "--database-url", url]).output.strip()
    assert len(hash_before) == len(hash_after) == 64
    assert hash_before != hash_after


def test_seed_refuses_an_unmigrated_database(scratch_databases: ScratchDatabases) -> None:
    url = scratch_databases.new("sqlite")
    result = runner.invoke(cli, ["seed", "--citizens", "10", "--database-url", url])
    assert result.exit_code == 1
    assert "popreg db upgrade" in result.output


def test_dataset_writes_records_and_answer_key(
    scratch_databases: ScratchDatabases, tmp_path: Path
) -> None:
    url = scratch_databases.new("sqlite")
    upgrade(url)
    assert (
        runner.invoke(
            cli, ["seed", "--citizens", str(len(PERSONAS) + 400), "--database-url", url]
        ).exit_code
        == 0
    )
    out, answers = tmp_path / "telecom.csv", tmp_path / "answers.jsonl"
    arguments = [
        "dataset",
        "--sector",
        "telecom",
        "--size",
        "100",
        "--error-rate",
        "0.5",
        "--seed",
        "3",
    ]
    result = runner.invoke(
        cli, [*arguments, "--out", str(out), "--answers", str(answers), "--database-url", url]
    )
    assert result.exit_code == 0, result.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 101
    key = [orjson.loads(line) for line in answers.read_bytes().splitlines()]
    assert [row["row"] for row in key] == list(range(1, 101))
    assert any(row["faults"] for row in key)

    wrong = runner.invoke(
        cli,
        [
            "dataset",
            "--sector",
            "post-office",
            "--out",
            str(out),
            "--answers",
            str(answers),
            "--database-url",
            url,
        ],
    )
    assert wrong.exit_code == 2
    assert "telecom" in wrong.output
