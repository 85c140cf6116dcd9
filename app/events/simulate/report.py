"""What a run shows: the live progress line and the summary table at the end."""

from __future__ import annotations

import time

from rich.table import Table

from app.events.simulate.mix import KINDS, shares
from app.events.simulate.options import SimulationOptions, Tally

LABELS = {
    "birth": "births",
    "death": "deaths",
    "residence_change": "moves",
    "marriage": "marriages",
    "divorce": "divorces",
    "name_change": "names",
    "card_reissue": "cards",
    "id_correction": "IDs",
}


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{rest:02d}"


def live_line(tally: Tally, options: SimulationOptions) -> str:
    """The progress line, after the time run and the time to run."""
    elapsed = tally.elapsed or min(time.monotonic() - tally.started, options.duration)
    return f"{_clock(elapsed)}/{_clock(options.duration)} │ {progress_line(tally)}"


def progress_line(tally: Tally) -> str:
    counts = " ".join(f"{LABELS[k]} {tally.recorded[k]:,}" for k in KINDS)
    refused, errors = sum(tally.refused.values()), sum(tally.errors.values())
    error_text = f"[red]errors {errors:,}[/red]" if errors else "errors 0"
    # Rate and failures first: a narrow terminal cuts the line's end, the rare kinds.
    return f"{tally.rate():.2f}/s │ refused {refused:,} │ {error_text} │ {counts}"


def summary_table(tally: Tally, options: SimulationOptions) -> Table:
    mix = shares()
    answered = max(tally.answered, 1)
    table = Table(
        title=f"{tally.answered:,} operations in {tally.elapsed:,.1f} s: "
        f"{tally.rate():.2f}/s (asked {options.rate:g}/s)",
        caption=f"{tally.events:,} life events recorded · {tally.retries:,} retries · "
        f"{tally.samples:,} sample calls",
    )
    for name in ("operation", "mix", "share", "recorded", "refused", "errors", "no subject"):
        table.add_column(name, justify="left" if name == "operation" else "right")
    for kind in KINDS:
        done = tally.recorded[kind] + tally.refused[kind] + tally.errors[kind]
        table.add_row(
            LABELS[kind],
            f"{mix[kind]:.1%}",
            f"{done / answered:.1%}",
            f"{tally.recorded[kind]:,}",
            f"{tally.refused[kind]:,}",
            f"{tally.errors[kind]:,}",
            f"{tally.skipped[kind]:,}",
        )
    table.add_section()
    table.add_row(
        "[bold]total[/bold]",
        "100%",
        "100%" if tally.answered else "-",
        f"{sum(tally.recorded.values()):,}",
        f"{sum(tally.refused.values()):,}",
        f"{sum(tally.errors.values()):,}",
        f"{sum(tally.skipped.values()):,}",
    )
    if tally.refusal_codes or tally.error_codes:
        table.add_section()
        for code, n in tally.refusal_codes.most_common(5):
            table.add_row(f"  {code}", "", "", "", f"{n:,}", "", "")
        for code, n in tally.error_codes.most_common(5):
            table.add_row(f"  {code}", "", "", "", "", f"{n:,}", "")
    return table
