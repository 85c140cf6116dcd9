"""The terminal summary of a scenario run (rich): per agency, codes, steps, evidence, notes."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from app.events.simulate.report import LABELS
from connectors.calls import CallLog
from connectors.scenario import stats, views
from connectors.scenario.runner import ScenarioResult
from connectors.scenario.steps import StepResult

MARKS = {"suppressed": "italic yellow", "small": "bold red", "denied": "red", "": ""}


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def rate_text(per_second: float) -> str:
    """A rate as a person writes it: 23/s, 2/m, 30/h."""
    if per_second >= 1:
        return f"{per_second:.3g}/s"
    if per_second * 60 >= 1:
        return f"{per_second * 60:.3g}/m"
    return f"{per_second * 3600:.3g}/h"


def progress_line(elapsed: float, length: float, log: CallLog) -> str:
    """The live line: time, calls, rate and what went wrong so far."""
    calls = list(log)
    denied = sum(1 for c in calls if c.outcome == "denied")
    errors = sum(1 for c in calls if c.outcome in ("server_error", "unreachable"))
    rate = len(calls) / elapsed if elapsed > 0 else 0.0
    error_text = f"[red]errors {errors:,}[/red]" if errors else "errors 0"
    return (
        f"{_clock(elapsed)}/{_clock(length)} │ {len(calls):,} calls │ {rate:,.1f}/s │ "
        f"denied {denied:,} │ {error_text}"
    )


def step_line(result: StepResult) -> RenderableType:
    """A step as it runs: what it did, what it shows, the evidence."""
    mark = {True: "[green]✓[/green]", False: "[red]✗ not as expected[/red]", None: "·"}
    step = result.step
    head = f"[bold]{_clock(result.at)} step {result.index + 1}[/bold] {step.action}"
    who = f" {views.who(step)}" if step.agency or step.action == "statistics" else ""
    lines = [f"{head}{escape(who)} → {escape(result.detail)} {mark[result.met]}"]
    if step.say:
        lines.append(f"   [dim]{escape(step.say.strip())}[/dim]")
    shown = views.view(result)
    lines += [f"   {escape(line)}" for line in shown.lines] if shown else []
    lines += [f"   [cyan]{escape(r['summary'])}[/cyan]" for r in result.records]
    text = Text.from_markup("\n".join(lines))
    return Group(text, Padding(view_table(shown), (0, 0, 0, 3))) if shown and shown.rows else text


def view_table(shown: views.View) -> Table:
    """A step's table: suppressed cells in yellow italics, small exact counts in bold red."""
    table = Table(show_edge=False, padding=(0, 1), box=None, header_style="bold")
    for name in shown.head:
        table.add_column(name, overflow="fold")
    for row in shown.rows:
        table.add_row(*(Text(text, style=MARKS[mark]) for text, mark in row))
    return table


def agencies_table(result: ScenarioResult) -> Table:
    rows = stats.rows(result)
    whole = stats.total(result)
    table = Table(
        title=f"{result.scenario.title}: {whole.calls:,} calls in {result.seconds:,.1f} s "
        f"({whole.rate:,.1f}/s)",
        title_justify="left",
    )
    for name in ("agency", "part", "calls", "rate/s", "ok", "denied", "other 4xx", "errors"):
        table.add_column(name, justify="left" if name in ("agency", "part") else "right")
    table.add_column("p50 ms", justify="right")
    table.add_column("p99 ms", justify="right")
    for row in [*rows, whole]:
        if row is whole:
            table.add_section()
        other = row.calls - row.outcomes.get("ok", 0) - row.outcomes.get("denied", 0) - row.errors
        table.add_row(
            "[bold]all[/bold]" if row is whole else row.agency,
            "" if row is whole else row.part,
            f"{row.calls:,}",
            f"{row.rate:,.1f}" if row.rate >= 10 else f"{row.rate:.2f}",
            f"{row.outcomes.get('ok', 0):,}",
            f"{row.outcomes.get('denied', 0):,}",
            f"{other:,}",
            f"[red]{row.errors:,}[/red]" if row.errors else "0",
            f"{row.p50_ms:,.0f}",
            f"{row.p99_ms:,.0f}",
        )
    return table


def codes_table(result: ScenarioResult) -> Table | None:
    codes = stats.codes_by_agency(result)
    if not codes:
        return None
    denied = stats.denied_codes(result)
    table = Table(title="Refusals by code", title_justify="left")
    table.add_column("code")
    table.add_column("kind")
    table.add_column("calls", justify="right")
    table.add_column("who")
    for code, by_agency in codes.items():
        who = ", ".join(f"{label} {n:,}" for label, n in by_agency.items())
        kind = "denied (403)" if code in denied else "other"
        table.add_row(code, kind, f"{sum(by_agency.values()):,}", who)
    return table


def parts_table(result: ScenarioResult) -> Table:
    table = Table(title="Parts", title_justify="left")
    for name in ("part", "agency", "start", "asked", "done", "tasks", "failed"):
        table.add_column(name, justify="right" if name in ("start", "done") else "left")
    for part in result.parts:
        tasks = ", ".join(f"{LABELS.get(t, t)} {n:,}" for t, n in sorted(part.tasks.items()))
        failed = part.error or (f"{part.failed_steps:,} steps raised" if part.failed_steps else "")
        table.add_row(
            part.name,
            part.agency,
            f"{part.start:,.0f} s",
            f"{rate_text(part.rate)} × {part.seconds:,.0f} s",
            f"{part.steps:,} of {round(part.rate * part.seconds):,}",
            tasks,
            f"[red]{escape(failed)}[/red]" if failed else "",
        )
    return table


def steps_table(result: ScenarioResult) -> Table:
    table = Table(title="Steps", title_justify="left")
    for name in ("at", "step", "who", "answer", "expected"):
        table.add_column(name, justify="right" if name == "at" else "left")
    marks = {True: "[green]✓[/green]", False: "[red]✗[/red]", None: ""}
    for done in result.steps:
        step = done.step
        table.add_row(
            f"{done.at:,.0f} s",
            f"{done.index + 1}. {step.action}",
            escape(views.who(step)),
            escape(done.detail),
            f"{escape(step.expect or '')} {marks[done.met]}".strip(),
        )
    if result.step_error:
        table.add_row("", "", "", f"[red]stopped: {escape(result.step_error)}[/red]", "")
    return table


def summary(result: ScenarioResult) -> RenderableType:
    """Everything printed at the end of a run."""
    pieces: list[RenderableType] = [agencies_table(result), parts_table(result)]
    codes = codes_table(result)
    if codes is not None:
        pieces.append(codes)
    if result.steps:
        pieces.append(steps_table(result))
    newest = {s.citizen: s for s in result.steps if s.records}  # each citizen's latest read
    for last in newest.values():
        lines = [f"[cyan]{escape(r['summary'])}[/cyan]" for r in last.records]
        pieces.append(
            Panel(
                Text.from_markup("\n".join(lines)),
                title=f"The citizen's access log ({last.citizen}), this run's records",
                title_align="left",
            )
        )
    notes = result.scenario.look_at
    if notes:
        text = Text.from_markup("\n".join(f"• {escape(note.strip())}" for note in notes))
        pieces.append(Panel(text, title="What to look at", title_align="left"))
    if result.problems:
        text = Text.from_markup("\n".join(f"[red]•[/red] {escape(p)}" for p in result.problems))
        pieces.append(Panel(text, title="Not as the scenario says", border_style="red"))
    return Group(*pieces)
