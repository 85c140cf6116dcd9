"""``popreg scenario list`` and ``popreg scenario run``: the typer commands."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, TextColumn
from rich.table import Column, Table

from app.cli_options import AdminTokenOption
from app.config import DEFAULT_ADMIN_TOKEN
from app.events.simulate.mix import parse_duration
from connectors.calls import CallLog
from connectors.scenario import html, report
from connectors.scenario.model import Scenario, ScenarioError, check_names, load, parse
from connectors.scenario.runner import ScenarioAborted, ScenarioResult, run_scenario
from connectors.scenario.steps import CITIZEN_CODE, StepResult

scenario_cli = typer.Typer(
    help="Staged stories for workshops and load tests: connectors, life events and one-off "
    "steps on one timeline, with a terminal summary and an HTML report.",
    rich_markup_mode="rich",
    no_args_is_help=True,
)
out = Console()
err = Console(stderr=True)


def scenarios_dir() -> Path:
    """``scenarios/`` here, else the one beside the popreg package (a checkout)."""
    here = Path("scenarios")
    return here if here.is_dir() else Path(__file__).resolve().parents[2] / "scenarios"


def resolve(file: str) -> Path:
    """A path, or a scenario's name (``privacy-incident``) in the scenarios directory."""
    path = Path(file)
    if path.exists() or path.suffix in (".yaml", ".yml") or "/" in file:
        return path
    return scenarios_dir() / f"{file}.yaml"


@scenario_cli.command("list")
def list_scenarios(
    directory: Annotated[
        Path | None, typer.Option(help="Where the scenarios are; default ./scenarios.")
    ] = None,
) -> None:
    """The scenario files and their titles."""
    from app.agencies.demo import DEMO_AGENCIES
    from connectors.registry import discover

    folder = directory or scenarios_dir()
    files = sorted(folder.glob("*.yaml"))
    known = {name: found.connector for name, found in discover()[0].items()}
    agencies = [agency.code for agency in DEMO_AGENCIES]
    if not files:
        err.print(f"No scenario files in {folder}.")
        raise typer.Exit(1)
    table = Table(title=f"Scenarios in {folder}", title_justify="left")
    for name in ("name", "title", "length", "parts"):
        table.add_column(name)
    for path in files:
        try:
            scenario = parse(path.read_text(encoding="utf-8"), str(path))
            check_names(scenario, str(path), known, agencies)
        except ScenarioError as error:
            table.add_row(path.stem, f"[red]{escape(str(error))}[/red]", "", "")
            continue
        parts = list(scenario.connectors)
        parts += ["life events"] if scenario.life_events else []
        parts += [f"{len(scenario.steps)} steps"] if scenario.steps else []
        table.add_row(path.stem, scenario.title, f"{scenario.length:,.0f} s", ", ".join(parts))
    out.print(table)


@scenario_cli.command("run")
def run_command(
    file: Annotated[str, typer.Argument(help="A scenario file, or a name from `list`.")],
    url: Annotated[str, typer.Option(envvar="POPREG_URL", help="The API.")] = (
        "http://127.0.0.1:8000"
    ),
    admin_token: AdminTokenOption = DEFAULT_ADMIN_TOKEN,
    report_path: Annotated[
        Path | None,
        typer.Option(
            "--report", help="The HTML report; default var/reports/<scenario>-<time>.html."
        ),
    ] = None,
    scale: Annotated[
        float, typer.Option(min=0.001, max=1000, help="Multiply every rate by this.")
    ] = 1.0,
    duration: Annotated[
        str | None,
        typer.Option(help="Stretch or shrink the whole timeline to this length: 30s, 10m."),
    ] = None,
    citizen: Annotated[
        str | None,
        typer.Option(help="The personal ID the steps are about; default: a random adult."),
    ] = None,
    citizen_code: Annotated[
        str,
        typer.Option(
            envvar="POPREG_CITIZEN_LOGIN_CODE",
            help="The citizens' one-time sign-in code; default: the sandbox's.",
            show_default=False,
        ),
    ] = CITIZEN_CODE,
) -> None:
    """Run a scenario against a running server and write its report.

    Example: [cyan]popreg scenario run scenarios/national-load.yaml --scale 4 --duration 10m[/cyan]
    """
    path = resolve(file)
    try:
        scenario = load(path)
        if duration is not None:
            scenario = scenario.fitted(parse_duration(duration))
        scenario = scenario.scaled(scale)
    except (ScenarioError, ValueError) as error:
        err.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    if citizen is not None and not (len(citizen) == 12 and citizen.isdigit()):
        raise typer.BadParameter("a personal ID has 12 digits", param_hint="--citizen")
    out.print(f"[bold]{scenario.title}[/bold] ({path.stem}, {scenario.length:,.0f} s) → {url}")
    try:
        result = asyncio.run(
            _run(scenario, path.stem, url, admin_token, citizen_code, citizen, scale)
        )
    except ScenarioAborted as error:
        err.print(f"[red]Cannot run the scenario:[/red] {escape(str(error))}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("[yellow]Interrupted.[/yellow]")
        raise typer.Exit(130) from None
    out.print(report.summary(result))
    written = html.write(result, report_path or html.default_path(result.name, result.started_at))
    out.print(f"Report: [cyan]{written}[/cyan] ({written.stat().st_size / 1e6:,.1f} MB)")
    if result.problems:
        raise typer.Exit(1)


async def _run(
    scenario: Scenario,
    name: str,
    url: str,
    admin_token: str,
    citizen_code: str,
    citizen: str | None,
    scale: float,
) -> ScenarioResult:
    from connectors.registry import discover

    known = {n: found.connector for n, found in discover()[0].items()}
    column = TextColumn("{task.fields[line]}", table_column=Column(no_wrap=True))
    with Progress(column, console=err, refresh_per_second=4) as bar:
        task = bar.add_task("scenario", line="starting…")

        def progress(elapsed: float, log: CallLog) -> None:
            bar.update(task, line=report.progress_line(elapsed, scenario.length, log))

        def on_step(result: StepResult) -> None:
            bar.console.print(report.step_line(result))

        return await run_scenario(
            scenario,
            name=name,
            known=known,
            url=url,
            admin_token=admin_token,
            citizen_code=citizen_code,
            subject=citizen,
            scale=scale,
            progress=progress,
            on_step=on_step,
        )
