"""``popreg seed`` and ``popreg dataset``: fill the registry, write dirty agency datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from app.config import Settings, get_settings
from app.db import build_engine
from app.schema import schema_state

out = Console()
err = Console(stderr=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL of the registry; default [cyan]POPREG_DATABASE_URL[/cyan].",
        show_default=False,
    ),
]


def _engine(database_url: str | None) -> Engine:
    settings = get_settings() if database_url is None else Settings(database_url=database_url)
    engine = build_engine(settings)
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    try:
        state = schema_state(engine)
    except SQLAlchemyError:
        engine.dispose()
        err.print(f"[red]Cannot reach the database at {shown}.[/red]")
        raise typer.Exit(1) from None
    if not state.is_current:
        engine.dispose()
        err.print(f"[red]{shown}:[/red] {state.describe()}.")
        raise typer.Exit(1)
    return engine


seed_cli = typer.Typer(
    rich_markup_mode="rich",
    invoke_without_command=True,
)


@seed_cli.callback()
def seed_command(
    ctx: typer.Context,
    citizens: Annotated[
        int,
        typer.Option(min=0, help="Citizens to write, the fixed personas included (at least them)."),
    ] = 100_000,
    seed: Annotated[
        int, typer.Option(min=0, help="Random seed: the same seed and size give the same rows.")
    ] = 1,
    if_empty: Annotated[
        bool,
        typer.Option(
            "--if-empty", help="Do nothing (and succeed) when the registry already has citizens."
        ),
    ] = False,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Delete the households, citizens, cards and sector records there, then seed.",
        ),
    ] = False,
    helpers: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Extra processes drawing batches; default one on multi-core machines. "
            "Does not change the rows.",
            show_default=False,
        ),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Seed the registry: [bold]personas[/bold] first, then random households and citizens.

    Example: [cyan]popreg seed --citizens 1000000 --seed 42[/cyan]. Refuses a registry that
    already has citizens unless [cyan]--replace[/cyan] or [cyan]--if-empty[/cyan] is given.
    [cyan]popreg seed hash[/cyan] prints the content hash of what is there.
    """
    if ctx.invoked_subcommand is not None:
        return
    from seed import count_citizens, populate

    engine = _engine(database_url)
    try:
        existing = count_citizens(engine)
        if existing and if_empty and not replace:
            out.print(
                f"The registry already holds {existing:,} citizens; not seeding (--if-empty)."
            )
            return
        if existing and not replace:
            err.print(
                f"[red]The registry already holds {existing:,} citizens.[/red] "
                "Use --replace to start over or --if-empty to keep them."
            )
            raise typer.Exit(1)
        columns = (
            TextColumn("[bold]seeding"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("citizens"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=err, transient=False) as bar:
            task = bar.add_task("seed", total=max(citizens, 1))
            report = populate(
                engine,
                citizens=citizens,
                seed=seed,
                replace=replace,
                helpers=helpers,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    finally:
        engine.dispose()
    out.print(
        f"Seeded {report.citizens:,} citizens ({report.personas} personas), "
        f"{report.households:,} households, {report.identity_cards:,} identity cards and "
        f"{report.sector_records:,} sector records "
        f"with seed {report.seed} in {report.seconds:.1f} s "
        f"({report.citizens_per_second:,.0f} citizens/s)."
    )


@seed_cli.command("hash")
def seed_hash(database_url: DatabaseUrl = None) -> None:
    """Print the SHA-256 content hash of the seeded tables (equal across SQLite and PostgreSQL)."""
    from seed import content_hash

    engine = _engine(database_url)
    try:
        out.print(content_hash(engine))
    finally:
        engine.dispose()


@seed_cli.command("personas")
def seed_personas() -> None:
    """Print the persona catalogue as the Markdown table of docs/personas.md (no database)."""
    from seed.persona_rows import markdown_table

    typer.echo(markdown_table(), nl=False)


def dataset_command(
    sector: Annotated[
        str,
        typer.Option(help="Whose records: telecom, bank, social_insurance or hospital."),
    ],
    out_path: Annotated[Path, typer.Option("--out", help="Dataset file: .csv, .ndjson or .jsonl.")],
    answers: Annotated[
        Path,
        typer.Option(
            help="Answer key file (.csv, .ndjson or .jsonl): per row the faults and the true ID."
        ),
    ],
    size: Annotated[int, typer.Option(min=1, help="Rows to write.")] = 1000,
    error_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of rows with at least one fault.")
    ] = 0.2,
    seed: Annotated[int, typer.Option(min=0, help="Random seed of the sample and the faults.")] = 1,
    database_url: DatabaseUrl = None,
) -> None:
    """Write what an agency holds about a sample of citizens, with realistic faults mixed in.

    Faults: stripped or decomposed diacritics, upper case, swapped name order, typos,
    day/month swapped, year-only dates, old CMND instead of the ID, a wrong ID digit,
    a deceased person still active, a phone now someone else's, people not in the registry.
    """
    from seed.datasets import DatasetSector, generate_dataset, write_rows

    try:
        chosen = DatasetSector(sector)
    except ValueError:
        err.print(f"[red]Unknown sector {sector!r}[/red]; use one of: {', '.join(DatasetSector)}.")
        raise typer.Exit(2) from None
    engine = _engine(database_url)
    try:
        records, key, report = generate_dataset(
            engine, sector=chosen, size=size, error_rate=error_rate, seed=seed
        )
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    try:
        write_rows(out_path, records)
        write_rows(answers, key)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    out.print(
        f"Wrote {report.rows:,} {chosen.value} rows to {out_path} "
        f"({report.faulty_rows:,} with faults) and the answer key to {answers}."
    )


def register_seed_commands(cli: typer.Typer) -> None:
    """Add ``seed`` (with ``seed hash``) and ``dataset`` to the ``popreg`` command."""
    cli.add_typer(seed_cli, name="seed")
    cli.command("dataset")(dataset_command)
