"""``popreg connectors list`` and ``popreg connectors run``: the connectors from a terminal.

``run`` paces one connector against a running server (``connectors.run``) with a live
progress line, then sums the run up: steps and calls per task, outcomes, problem
codes, latency. A run that cannot start (unknown connector, no server, refused
credentials, no citizens) exits 1; a run that started exits 0 whatever it met.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich import box
from rich.console import Console, Group
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import Progress as ProgressBar
from rich.progress import TextColumn
from rich.table import Column, Table

from app.cli_options import AdminTokenOption
from app.config import DEFAULT_ADMIN_TOKEN
from app.events.simulate.mix import parse_duration, parse_rate
from connectors.base import Connector, ConnectorError
from connectors.calls import Call, CallLog, Summary, summarise
from connectors.registry import Found, discover
from connectors.runner import Progress, RunPlan, RunResult, make_connector, run

connectors_cli = typer.Typer(
    help="Simulated agencies (bank, telecom, hospital, …) calling the registry.",
    rich_markup_mode="rich",
    no_args_is_help=True,
)

TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class CannotStart(Exception):
    """The run cannot start: the message says why."""


def api_key_variable(agency: str) -> str:
    """``POPREG_API_KEY_PHUSA_BANK`` for ``phusa-bank``: where a key for an agency is looked up."""
    return "POPREG_API_KEY_" + re.sub(r"[^A-Z0-9]", "_", agency.upper())


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{rest:02d}"


# --- list --------------------------------------------------------------------------------


def _weights(tasks: Mapping[str, int]) -> str:
    return "\n".join(f"{name} {weight}" for name, weight in tasks.items())


def _purposes(purposes: Mapping[str, str]) -> str:
    return "\n".join(sorted(set(purposes.values())))


def connector_table(found: Mapping[str, Found]) -> Table:
    """One row a connector: name, sector and title; agency and its purposes; tasks; source."""
    count = f"{len(found)} connector" + ("" if len(found) == 1 else "s")
    table = Table(title=count, title_justify="left", box=box.SIMPLE_HEAD, show_lines=True)
    table.add_column("connector (sector)", ratio=1, min_width=14)
    table.add_column("agency: purposes", no_wrap=True)
    table.add_column("tasks (weight)", no_wrap=True)
    table.add_column("source", overflow="fold")
    for name, entry in sorted(found.items()):
        connector = entry.connector
        table.add_row(
            f"[bold]{name}[/bold] ({connector.sector})\n[dim]{escape(connector.title)}[/dim]",
            f"{connector.agency}:\n[dim]{_purposes(connector.purposes)}[/dim]",
            _weights(connector.tasks),
            escape(entry.source),
        )
    return table


@connectors_cli.command("list")
def list_connectors() -> None:
    """Every connector: the built-in ones and installed plugins ([cyan]popreg.connectors[/cyan]).

    Plugins that cannot be loaded are listed after the table, in red, with the error.
    """
    found, broken = discover()
    out = Console()
    out.print(connector_table(found))
    for entry in broken:
        out.print(
            f"broken plugin {entry.name} ({entry.target}): {entry.error}",
            style="red",
            markup=False,
            highlight=False,
        )


# --- run ---------------------------------------------------------------------------------


def live_line(progress: Progress, seconds: float) -> str:
    summary = progress.summary
    errors = summary.errors
    denied = summary.outcomes.get("denied", 0)
    error_text = f"[red]errors {errors:,}[/red]" if errors else "errors 0"
    failed = (
        f" │ [red]failed steps {progress.failed_steps:,}[/red]" if progress.failed_steps else ""
    )
    return (
        f"{_clock(min(progress.elapsed, seconds))}/{_clock(seconds)} │ "
        f"{summary.rate:.1f} calls/s │ calls {summary.calls:,} │ {error_text} │ "
        f"denied {denied:,} │ p50 {summary.p50_ms:.0f} ms p99 {summary.p99_ms:.0f} ms{failed}"
    )


def _task_table(
    result: RunResult, tasks: Mapping[str, int], calls: list[Call], summary: Summary
) -> Table:
    plan = result.plan
    asked = f"asked {plan.rate:g}/s" if plan.rate else "unpaced"
    table = Table(
        title=f"{result.connector} as {result.agency}: {result.steps:,} steps, "
        f"{summary.calls:,} calls in {summary.seconds:,.1f} s "
        f"({result.steps / summary.seconds if summary.seconds else 0:.2f} steps/s, {asked})",
        title_justify="left",
    )
    for name in ("task", "weight", "steps", "calls", "errors", "p50 ms", "p99 ms"):
        table.add_column(name, justify="left" if name == "task" else "right")
    names = list(tasks) + sorted({c.task for c in calls} - set(tasks))
    for name in names:
        of_task = summarise([c for c in calls if c.task == name])
        table.add_row(
            name,
            str(tasks.get(name, "-")),
            f"{result.tasks.get(name, 0):,}",
            f"{of_task.calls:,}",
            f"{of_task.errors:,}",
            f"{of_task.p50_ms:.1f}",
            f"{of_task.p99_ms:.1f}",
        )
    table.add_section()
    table.add_row(
        "[bold]total[/bold]",
        "",
        f"{result.steps:,}",
        f"{summary.calls:,}",
        f"{summary.errors:,}",
        f"{summary.p50_ms:.1f}",
        f"{summary.p99_ms:.1f}",
    )
    if result.failed_steps:
        table.caption = f"[red]{result.failed_steps:,} steps raised (see the log above)[/red]"
    return table


def _outcome_table(summary: Summary) -> Table:
    table = Table(title="outcomes", title_justify="left")
    table.add_column("outcome / problem code")
    table.add_column("calls", justify="right")
    table.add_column("share", justify="right")
    for outcome, n in sorted(summary.outcomes.items(), key=lambda item: -item[1]):
        table.add_row(outcome, f"{n:,}", f"{n / max(summary.calls, 1):.1%}")
    if summary.codes:
        table.add_section()
        for code, n in sorted(summary.codes.items(), key=lambda item: -item[1]):
            table.add_row(f"  {code}", f"{n:,}", f"{n / max(summary.calls, 1):.1%}")
    return table


def summary_tables(result: RunResult, tasks: Mapping[str, int], calls: list[Call]) -> Group:
    """What a run did: per task, then outcomes and problem codes."""
    overall = summarise(calls, result.summary.seconds)
    return Group(_task_table(result, tasks, calls, overall), _outcome_table(overall))


async def _check(connector: Connector) -> list[str]:
    """Fail fast: the server answers and takes the credentials. Returns warnings."""
    registry = connector.registry
    try:
        await registry.http.get("/healthz")
    except httpx.TransportError as error:
        raise CannotStart(
            f"Cannot reach the registry at {registry.http.base_url} ({error})."
        ) from None
    try:
        response = await registry.request("GET", "/v1/agencies/me", task="check")
    except httpx.HTTPStatusError as error:  # OAuth2: the token endpoint refused
        raise CannotStart(f"No token for {registry.credentials.agency}: {error}") from None
    if response is None:
        raise CannotStart(f"No answer from {registry.http.base_url}/v1/agencies/me.")
    if response.status_code != 200:
        raise CannotStart(
            f"The registry refuses the credentials of {registry.credentials.agency} "
            f"(HTTP {response.status_code}): {response.text[:200]}"
        )
    held = {p["code"] for p in response.json().get("purposes", [])}
    missing = sorted(set(connector.purposes.values()) - held)
    if not missing:
        return []
    return [
        f"{registry.credentials.agency} has no purpose {', '.join(missing)}: "
        "those calls will be denied."
    ]


@contextlib.contextmanager
def _stop_on_interrupt(stop: asyncio.Event) -> Iterator[None]:
    """Ctrl-C ends the run early but cleanly (teardown, summary), instead of killing it."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, stop.set)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, Windows
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)


@contextlib.contextmanager
def _step_errors_to(console: Console) -> Iterator[None]:
    """Steps that raise are logged by the runner: show them above the progress line."""
    logger = logging.getLogger("popreg.connectors")
    handler = RichHandler(console=console, show_path=False)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


async def _run(
    connector: Connector, plan: RunPlan, console: Console
) -> tuple[RunResult, list[Call]]:
    for warning in await _check(connector):
        console.print(f"[yellow]{warning}[/yellow]")
    log = connector.registry.log
    first = len(log)
    stop = asyncio.Event()
    column = TextColumn(
        "{task.fields[line]}", table_column=Column(no_wrap=True, overflow="ellipsis")
    )
    with (
        ProgressBar(column, console=console, refresh_per_second=4) as bar,
        _stop_on_interrupt(stop),
        _step_errors_to(console),
    ):
        line = bar.add_task(connector.name, line=f"{connector.name}: drawing citizens…")

        def show(progress: Progress) -> None:
            bar.update(line, line=live_line(progress, plan.seconds))

        result = await run(connector, plan, progress=show, stop=stop)
    return result, log.since(first)


@connectors_cli.command("run")
def run_connector(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The connector (see popreg connectors list).")
    ],
    rate: Annotated[
        str,
        typer.Option(help="Steps per second, minute or hour (5/s, 300/m), or max: unpaced."),
    ] = "5/s",
    duration: Annotated[str, typer.Option(help="How long: 90s, 10m, 1h30m.")] = "60s",
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Steps in flight at most.")] = 4,
    url: Annotated[str, typer.Option(envvar="POPREG_URL", help="The API.")] = (
        "http://127.0.0.1:8000"
    ),
    api_key: Annotated[
        str | None,
        typer.Option(
            help="The agency's key; default POPREG_API_KEY_<AGENCY>, else the demo agency's.",
            show_default=False,
        ),
    ] = None,
    agency: Annotated[
        str | None,
        typer.Option(help="Call as this agency instead of the connector's demo one."),
    ] = None,
    oauth2: Annotated[
        bool, typer.Option(help="Exchange the key for OAuth2 bearer tokens (client credentials).")
    ] = False,
    admin_token: AdminTokenOption = DEFAULT_ADMIN_TOKEN,
    seed: Annotated[int | None, typer.Option(help="Repeat a run's choices.")] = None,
    log: Annotated[
        Path | None, typer.Option("--log", help="Append every call to this JSON-lines file.")
    ] = None,
) -> None:
    """Run one connector against a running server, paced to [cyan]--rate[/cyan].

    Example: [cyan]popreg connectors run bank --rate 20/s --duration 60s[/cyan]
    """
    try:
        per_second = None if rate.strip() == "max" else parse_rate(rate)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--rate") from None
    try:
        seconds = parse_duration(duration)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--duration") from None
    out, err = Console(), Console(stderr=True)
    found, _ = discover()
    if name not in found:
        err.print(f"[red]No connector {name!r}.[/red] Known: {', '.join(sorted(found))}.")
        raise typer.Exit(1)
    connector_class = found[name].connector
    code = agency or connector_class.agency
    plan = RunPlan(rate=per_second, seconds=seconds, concurrency=concurrency)
    calls = CallLog.to_file(log) if log is not None else CallLog()

    async def main() -> tuple[RunResult, list[Call]]:
        limits = httpx.Limits(max_connections=concurrency + 2)
        async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT, limits=limits) as http:
            connector = make_connector(
                connector_class,
                http,
                log=calls,
                agency=code,
                api_key=api_key or os.environ.get(api_key_variable(code)),
                oauth2=oauth2,
                admin_token=admin_token,
                seed=seed,
            )
            return await _run(connector, plan, err)

    try:
        result, made = asyncio.run(main())
    except (CannotStart, ConnectorError) as error:
        err.print(f"[red]Cannot run {name}:[/red] {error}")
        raise typer.Exit(1) from None
    except httpx.TransportError as error:
        err.print(f"[red]Lost the registry at {url}:[/red] {error}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("[yellow]Interrupted.[/yellow]")
        raise typer.Exit(130) from None
    finally:
        calls.close()
    out.print(summary_tables(result, connector_class.tasks, made))
