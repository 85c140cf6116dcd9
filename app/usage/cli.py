"""`popreg usage …`: monthly statements of verifications and fees, per agency."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from app.config import get_settings
from app.db import build_engine
from app.problems import ProblemError
from app.usage import service

usage_cli = typer.Typer(
    help="Usage and fees: verifications and fields checked, from the audit log.",
    rich_markup_mode="rich",
    no_args_is_help=True,
)
out = Console()
err = Console(stderr=True)


@usage_cli.command("report")
def report(
    month: Annotated[
        str | None,
        typer.Option(help="Calendar month (UTC) as YYYY-MM; default the current month."),
    ] = None,
) -> None:
    """Print the month's statement for every agency: verifications, fields checked, fee."""
    try:
        chosen = service.parse_month(month)
    except ProblemError as exc:
        err.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(2) from None
    engine = build_engine(get_settings())
    try:
        with engine.connect() as connection:
            statements = service.statements(connection, chosen)
    finally:
        engine.dispose()
    table = Table(
        title=f"Usage statement {chosen} (UTC)",
        caption=f"Fee: {service.FEE_PER_FIELD_VND:,} VND per field checked ({service.FEE_BASIS}).",
    )
    table.add_column("agency", no_wrap=True)
    table.add_column("verifications", justify="right")
    table.add_column("fields checked", justify="right")
    table.add_column("fee (VND)", justify="right")
    for statement in statements:
        table.add_row(
            statement.agency_code,
            f"{statement.verifications:,}",
            f"{statement.fields_checked:,}",
            f"{statement.fee_vnd:,}",
        )
    table.add_section()
    table.add_row(
        "[bold]total[/bold]",
        f"{sum(s.verifications for s in statements):,}",
        f"{sum(s.fields_checked for s in statements):,}",
        f"[bold]{sum(s.fee_vnd for s in statements):,}[/bold]",
    )
    out.print(table)
