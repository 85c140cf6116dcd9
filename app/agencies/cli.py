"""`popreg agency …`: manage agencies, their keys and purposes from the shell."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from app.agencies import service
from app.agencies.demo import ensure_demo_agencies
from app.agencies.schemas import AgencyCreate, PurposeWrite
from app.config import Mode, get_settings
from app.db import Database
from app.models.enums import Sector
from app.problems import ProblemError

agency_cli = typer.Typer(
    help="Agencies that call the registry: create, list, keys and purposes.",
    rich_markup_mode="rich",
    no_args_is_help=True,
)
out = Console()
err = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]{message}[/red]")
    return typer.Exit(1)


@contextmanager
def _transaction() -> Iterator[Session]:
    """One committed transaction; a domain error becomes a red message and exit 1."""
    database = Database(get_settings())
    try:
        with database.session_factory.begin() as session:
            yield session
    except ProblemError as exc:
        raise _fail(exc.detail) from None
    finally:
        database.dispose()


@agency_cli.command("create")
def create(
    code: Annotated[str, typer.Argument(help="Short unique code, e.g. [cyan]hanoi-bank[/cyan].")],
    name: Annotated[str, typer.Option(help="Display name.")],
    sector: Annotated[Sector, typer.Option(help="Sector of the agency.")],
    purposes_file: Annotated[
        Path | None,
        typer.Option(
            "--purposes",
            help="JSON file mapping purpose codes to {description, operations, fields, …}.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Create an agency and print its first API key (shown only once)."""
    try:
        purposes = json.loads(purposes_file.read_text(encoding="utf-8")) if purposes_file else {}
        spec = AgencyCreate(code=code, name=name, sector=sector, purposes=purposes)
    except (ValidationError, json.JSONDecodeError) as exc:
        raise _fail(f"Invalid agency: {exc}") from None
    with _transaction() as session:
        agency, key = service.create_agency(session, spec)
        out.print(f"Created [bold]{agency.code}[/bold] ({agency.sector.value}).")
    out.print(f"API key (store it now, it is not shown again): [green]{key.secret}[/green]")


@agency_cli.command("list")
def list_agencies() -> None:
    """List agencies with their purposes and API key prefixes."""
    table = Table("code", "name", "sector", "purposes", "keys (prefix, * = revoked)")
    with _transaction() as session:
        for agency in service.list_agencies(session):
            keys = ", ".join(k.prefix + ("*" if k.revoked_at else "") for k in agency.api_keys)
            purposes = ", ".join(p.code for p in agency.purposes)
            table.add_row(agency.code, agency.name, agency.sector.value, purposes, keys)
    out.print(table)


@agency_cli.command("create-key")
def create_key(
    code: Annotated[str, typer.Argument(help="Agency code.")],
    label: Annotated[str | None, typer.Option(help="What the key is for.")] = None,
) -> None:
    """Create another API key for an agency (rotation); printed once."""
    with _transaction() as session:
        key = service.issue_api_key(session, service.get_agency(session, code), label=label)
    out.print(f"API key for {code}: [green]{key.secret}[/green]")


@agency_cli.command("revoke-key")
def revoke_key(
    prefix: Annotated[str, typer.Argument(help="Key prefix, e.g. [cyan]prk_3f9a1c2b[/cyan].")],
) -> None:
    """Revoke an API key. Running servers stop accepting it at once."""
    with _transaction() as session:
        service.revoke_api_key(session, prefix)
    out.print(f"Revoked {prefix}.")


@agency_cli.command("set-purpose")
def set_purpose(
    code: Annotated[str, typer.Argument(help="Agency code.")],
    purpose: Annotated[str, typer.Argument(help="Purpose code, e.g. kyc_onboarding.")],
    description: Annotated[str, typer.Option(help="What the purpose is for.")],
    operation: Annotated[
        list[str], typer.Option(help="Allowed operation (repeat): lookup, verify, …")
    ],
    field: Annotated[list[str], typer.Option(help="Field it may receive (repeat).")],
    consent_required: Annotated[bool, typer.Option(help="Needs the citizen's consent.")] = False,
) -> None:
    """Create or replace one purpose of an agency."""
    try:
        spec = PurposeWrite(
            description=description,
            operations=operation,
            fields=field,
            consent_required=consent_required,
        )
    except ValidationError as exc:
        raise _fail(f"Invalid purpose: {exc}") from None
    with _transaction() as session:
        service.set_purpose(session, service.get_agency(session, code), purpose, spec)
    out.print(f"Set purpose {purpose} of {code}.")


@agency_cli.command("demo")
def demo() -> None:
    """Create the demo agencies if missing and print their API keys (sandbox mode only)."""
    settings = get_settings()
    if settings.mode is not Mode.SANDBOX:
        raise _fail("Demo agencies exist only in sandbox mode (their keys are public).")
    with _transaction() as session:
        agencies = ensure_demo_agencies(session)
    table = Table(title="Demo agencies (sandbox keys, public by design)")
    table.add_column("agency", no_wrap=True)
    table.add_column("X-API-Key", no_wrap=True)
    for spec, key in agencies:
        table.add_row(spec.code, key)
    out.print(table)
    out.print(
        "Purposes and fields of each: GET /v1/agencies/me with its key. Try:\n"
        f"  curl -H 'X-API-Key: {agencies[1][1]}' -H 'X-Purpose: kyc_onboarding' "
        "localhost:8000/v1/citizens/<personal_id>",
        soft_wrap=True,
    )
