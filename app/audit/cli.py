"""`popreg audit …`: prove the chain unbroken, export it."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from app.audit.service import export, verify_chain
from app.config import get_settings
from app.db import build_engine

audit_cli = typer.Typer(
    help="The tamper-evident audit log: verify the hash chain, export records.",
    rich_markup_mode="rich",
    no_args_is_help=True,
)
out = Console()
err = Console(stderr=True)


class ExportFormat(StrEnum):
    NDJSON = "ndjson"
    CSV = "csv"


@audit_cli.command("verify")
def verify() -> None:
    """Walk the whole chain; exit 1 and name the first broken record if any."""
    engine = build_engine(get_settings())
    try:
        report = verify_chain(engine)
    finally:
        engine.dispose()
    if report.broken is None:
        out.print(
            f"[green]Audit chain intact[/green]: {report.records} records, head {report.head_seq}."
        )
        return
    err.print(
        f"[red]Audit chain broken at record {report.broken.seq}[/red]: {report.broken.problem} "
        f"({report.records} records verified before it)."
    )
    raise typer.Exit(1)


@audit_cli.command("export")
def export_records(
    since: Annotated[
        str | None, typer.Option(help="Only records at or after this ISO time, e.g. 2026-11-01.")
    ] = None,
    format: Annotated[ExportFormat, typer.Option(help="ndjson or csv.")] = ExportFormat.NDJSON,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Write here instead of standard output.")
    ] = None,
) -> None:
    """Export audit records in chain order."""
    engine = build_engine(get_settings())
    try:
        stream = open(out_path, "w", encoding="utf-8", newline="") if out_path else sys.stdout  # noqa: SIM115
        try:
            for chunk in export(engine, since=since, format=format.value):
                stream.write(chunk)
        finally:
            if out_path:
                stream.close()
    finally:
        engine.dispose()
