"""``popreg simulate life``: the typer command."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console

from app.agencies.keys import demo_api_key
from app.cli_options import AdminTokenOption
from app.config import DEFAULT_ADMIN_TOKEN
from app.events.simulate.mix import parse_duration, parse_rate
from app.events.simulate.options import SimulationOptions, Tally
from app.events.simulate.report import summary_table
from app.events.simulate.runner import simulate
from app.identity.provinces import PROVINCES

simulate_cli = typer.Typer(
    help="Simulate activity against a running popreg server.",
    rich_markup_mode="rich",
    no_args_is_help=True,
)


@simulate_cli.command("life")
def life(
    url: Annotated[str, typer.Option(envvar="POPREG_URL", help="The API.")] = (
        "http://127.0.0.1:8000"
    ),
    rate: Annotated[
        str, typer.Option(help="Operations per second, minute or hour: 5/s, 300/m, 1000/h.")
    ] = "5/s",
    duration: Annotated[str, typer.Option(help="How long: 90s, 10m, 1h, 1h30m.")] = "10m",
    seed: Annotated[
        int | None,
        typer.Option(
            help="Repeat a run: the same operations and details (and, on the same registry "
            "state with --concurrency 1, the same citizens)."
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Requests in flight at most.")
    ] = 4,
    province: Annotated[
        str | None,
        typer.Option(help="Only citizens whose personal ID starts with this province code."),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            envvar="POPREG_API_KEY",
            help="A civil-registry agency's key; default: the demo civil registry's.",
            show_default=False,
        ),
    ] = None,
    admin_token: AdminTokenOption = DEFAULT_ADMIN_TOKEN,
    purpose: Annotated[str, typer.Option(help="The agency's purpose that registers.")] = (
        "civil_status"
    ),
) -> None:
    """Generate a stream of plausible life events through the API, paced to [cyan]--rate[/cyan].

    Births, deaths, moves, marriages, divorces, name changes, card re-issues and ID corrections,
    in the proportions of Vietnam's yearly figures, for citizens sampled from the registry.

    Example: [cyan]popreg simulate life --rate 5/s --duration 10m[/cyan]
    """
    try:
        per_second = parse_rate(rate)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--rate") from None
    try:
        seconds = parse_duration(duration)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--duration") from None
    if province is not None and province not in PROVINCES:
        raise typer.BadParameter(f"{province!r} is not a province code.", param_hint="--province")
    options = SimulationOptions(
        url=url,
        api_key=api_key or demo_api_key("civil-registry-demo").secret,
        admin_token=admin_token,
        purpose=purpose,
        rate=per_second,
        duration=seconds,
        seed=seed,
        concurrency=concurrency,
        province=province,
    )
    err, out = Console(stderr=True), Console()
    tally = Tally()
    try:
        asyncio.run(simulate(options, console=err, tally=tally))
    except KeyboardInterrupt:
        out.print(summary_table(tally, options))
        err.print("[yellow]Interrupted.[/yellow]")
        raise typer.Exit(130) from None
    if tally.aborted and not tally.answered:
        err.print(f"[red]Nothing sent:[/red] {tally.aborted}")
        raise typer.Exit(1)
    out.print(summary_table(tally, options))
    if tally.aborted:
        err.print(f"[red]Stopped early:[/red] {tally.aborted}")
        raise typer.Exit(1)
