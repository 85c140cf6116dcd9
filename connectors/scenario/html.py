"""The HTML report of a scenario run: one self-contained page that opens offline.

Charts are plotly figures with plotly.js embedded once in the page (no CDN), so the
file can be mailed or opened on a workshop laptop without a network.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from app import __version__
from app.events.simulate.report import LABELS
from connectors.scenario import stats, views
from connectors.scenario.report import rate_text
from connectors.scenario.runner import ScenarioResult
from connectors.scenario.steps import REFUSED

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1100px;
       padding: 0 1.5rem 3rem; color: #1d2733; }
.banner { background: #fff3cd; border: 1px solid #e0c36a; padding: .5rem 1rem; margin: 1rem 0;
          font-weight: 600; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #dde3ea; }
.meta { color: #5b6776; margin-top: 0; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .92rem; }
th, td { border-bottom: 1px solid #e3e8ee; padding: .3rem .7rem; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.denied td { background: #fdecea; } .bad { color: #b3261e; font-weight: 600; }
td.suppressed { background: #fff6d6; font-style: italic; color: #6b5a1e; }
td.small { background: #fdecea; color: #b3261e; font-weight: 700; }
td.denied { color: #b3261e; } ul.shown { margin: .3rem 0; }
.good { color: #1e7b34; } .note { color: #5b6776; }
blockquote { margin: .3rem 0 .3rem 1rem; padding-left: .8rem; border-left: 3px solid #c8d1dc; }
"""


def _figure(figure: dict[str, Any], div_id: str) -> str:
    import plotly.io as pio

    html: str = pio.to_html(
        figure,
        include_plotlyjs=False,
        full_html=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
        default_height="420px",
    )
    return html


def _chart(title: str, figure: dict[str, Any], div_id: str) -> str:
    return f"<h2>{escape(title)}</h2>{_figure(figure, div_id)}"


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 60},
        "legend": {"orientation": "h", "y": -0.2},
        **extra,
    }


def requests_over_time(result: ScenarioResult) -> dict[str, Any]:
    seconds, counts = stats.per_second(result)
    data = [
        {"type": "scatter", "mode": "lines", "name": label, "x": seconds, "y": series}
        for label, series in counts.items()
    ]
    layout = _layout(
        "Requests per second, by agency",
        xaxis={"title": {"text": "seconds from the start"}},
        yaxis={"title": {"text": "requests started"}},
    )
    return {"data": data, "layout": layout}


def outcomes_by_agency(rows: list[stats.Row]) -> dict[str, Any]:
    labels = [row.label for row in rows]
    data = [
        {
            "type": "bar",
            "name": outcome,
            "x": labels,
            "y": [row.outcomes.get(outcome, 0) for row in rows],
        }
        for outcome in stats.OUTCOMES
        if any(row.outcomes.get(outcome) for row in rows)
    ]
    return {"data": data, "layout": _layout("Outcomes by agency", barmode="stack")}


def codes_chart(codes: dict[str, dict[str, int]]) -> dict[str, Any]:
    labels = sorted({label for by_agency in codes.values() for label in by_agency})
    data = [
        {
            "type": "bar",
            "name": label,
            "x": list(codes),
            "y": [codes[code].get(label, 0) for code in codes],
        }
        for label in labels
    ]
    return {"data": data, "layout": _layout("Denials and other refusals by code", barmode="stack")}


def latency_chart(latencies: list[stats.TaskLatency]) -> dict[str, Any]:
    names = [f"{t.label} · {t.task}" for t in latencies]
    data = [
        {
            "type": "bar",
            "name": name,
            "x": names,
            "y": [getattr(t, f"{name}_ms") for t in latencies],
        }
        for name in ("p50", "p95", "p99")
    ]
    layout = _layout(
        "Latency percentiles by agency and task",
        barmode="group",
        yaxis={"title": {"text": "milliseconds"}},
        height=460,
    )
    return {"data": data, "layout": layout}


def _table(head: list[str], body: list[list[str]], numeric: set[int], classes: list[str]) -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    lines = []
    for row, css in zip(body, classes, strict=True):
        cells = "".join(
            f'<td class="n">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        lines.append(f'<tr class="{css}">{cells}</tr>')
    return f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def _agency_table(rows: list[stats.Row], whole: stats.Row) -> str:
    body, classes = [], []
    for row in [*rows, whole]:
        codes = ", ".join(f"{escape(code)} {n:,}" for code, n in row.codes.items())
        body.append(
            [
                escape(row.agency),
                escape(row.part),
                f"{row.calls:,}",
                f"{row.rate:,.1f}" if row.rate >= 10 else f"{row.rate:.2f}",
                f"{row.outcomes.get('ok', 0):,}",
                f"{row.outcomes.get('denied', 0):,}",
                f"{row.errors:,}",
                f"{row.p50_ms:,.0f}",
                f"{row.p95_ms:,.0f}",
                f"{row.p99_ms:,.0f}",
                codes,
            ]
        )
        classes.append("bad" if row.errors else "")
    head = ["agency", "part", "calls", "rate/s", "ok", "denied", "errors", "p50 ms", "p95 ms"]
    return _table([*head, "p99 ms", "codes"], body, set(range(2, 10)), classes)


def _steps(result: ScenarioResult) -> str:
    if not result.steps and not result.step_error:
        return ""
    parts = ["<h2>Steps</h2>"]
    if result.subject:
        parts.append(f'<p class="note">The steps are about citizen {escape(result.subject)}.</p>')
    for done in result.steps:
        step = done.step
        verdict = {True: '<span class="good">as expected</span>', None: ""}.get(
            done.met, f'<span class="bad">expected {escape(step.expect or "")}</span>'
        )
        acting = step.agency or step.action == "statistics"
        who = f" — {escape(views.who(step))}" if acting else ""
        parts.append(
            f"<h3>{done.at:,.0f} s · step {done.index + 1}: {escape(step.action)}{who}</h3>"
            f"<p>{escape(done.detail)} {verdict}</p>"
        )
        if step.say:
            parts.append(f"<blockquote>{escape(step.say.strip())}</blockquote>")
        shown = views.view(done)
        if shown is not None:
            parts.append(_view(shown))
        if done.records:
            if done.citizen != result.subject:
                whose = f"The access log of citizen {escape(done.citizen)}:"
                parts.append(f'<p class="note">{whose}</p>')
            parts.append(_evidence(done.records))
    if result.step_error:
        parts.append(f'<p class="bad">The steps stopped: {escape(result.step_error)}</p>')
    return "\n".join(parts)


def _view(shown: views.View) -> str:
    """What a step's answer shows: its facts, and its table with marked cells."""
    lines = "".join(f"<li>{escape(line)}</li>" for line in shown.lines)
    html = f'<ul class="shown">{lines}</ul>'
    if shown.rows:
        header = "".join(f"<th>{escape(h)}</th>" for h in shown.head)
        body = "".join(
            "<tr>"
            + "".join(
                f'<td class="{mark}" title="{mark}">{escape(text)}</td>'
                if mark
                else f"<td>{escape(text)}</td>"
                for text, mark in row
            )
            + "</tr>"
            for row in shown.rows
        )
        table = f"<thead><tr>{header}</tr></thead><tbody>{body}</tbody>"
        html += f'<table class="shown">{table}</table>'
    return html


def _evidence(records: list[dict[str, Any]]) -> str:
    """The citizen's access-log lines: the data tracker's own words."""
    body = [
        [
            escape(str(r.get("when", ""))[:19].replace("T", " ")),
            escape(str(r.get("agency_name") or r.get("agency") or "")),
            escape(str(r.get("outcome", ""))),
            escape(", ".join(r.get("fields") or []) or "none"),
            escape(str(r.get("summary", ""))),
        ]
        for r in records
    ]
    classes = ["denied" if r.get("outcome") in REFUSED else "" for r in records]
    head = ["when (UTC)", "agency", "outcome", "fields disclosed", "in the citizen's access log"]
    table = _table(head, body, set(), classes)
    return f'<div class="evidence">{table}</div>'


def _life(result: ScenarioResult) -> str:
    tally = result.life
    if tally is None:
        return ""
    body = [
        [
            LABELS[kind],
            f"{tally.recorded[kind]:,}",
            f"{tally.refused[kind]:,}",
            f"{tally.errors[kind]:,}",
        ]
        for kind in LABELS
    ]
    return (
        "<h2>Life events</h2>"
        f"<p>{tally.answered:,} civil-registry operations, {tally.events:,} life events recorded "
        f"({tally.rate():.2f}/s).</p>"
        + _table(["operation", "recorded", "refused", "errors"], body, {1, 2, 3}, [""] * len(body))
    )


def _parts(result: ScenarioResult) -> str:
    body, classes = [], []
    for part in result.parts:
        tasks = ", ".join(f"{escape(t)} {n:,}" for t, n in sorted(part.tasks.items()))
        body.append(
            [
                escape(part.name),
                escape(part.agency),
                f"{part.start:,.0f} s",
                f"{rate_text(part.rate)} for {part.seconds:,.0f} s",
                f"{part.steps:,} of {round(part.rate * part.seconds):,}",
                tasks,
                escape(part.error or ""),
            ]
        )
        classes.append("bad" if part.error else "")
    head = ["part", "agency", "start", "asked", "steps done", "tasks", "failure"]
    return "<h2>Parts</h2>" + _table(head, body, {4}, classes)


def render(result: ScenarioResult) -> str:
    """The whole page."""
    scenario = result.scenario
    rows, whole = stats.rows(result), stats.total(result)
    codes = stats.codes_by_agency(result)
    started = datetime.fromtimestamp(result.started_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    story = "".join(
        f"<p>{escape(paragraph.strip())}</p>"
        for paragraph in scenario.description.split("\n\n")
        if paragraph.strip()
    )
    charts = [
        _chart("Requests per agency over time", requests_over_time(result), "requests"),
        _chart("Outcomes by agency", outcomes_by_agency(rows), "outcomes"),
        _chart("Denials by code", codes_chart(codes), "codes")
        if codes
        else "<h2>Denials by code</h2><p>No request was denied or refused: every agency asked "
        "within its purposes.</p>",
        _chart("Latency", latency_chart(stats.latency_by_task(result)), "latency"),
    ]
    notes = "".join(f"<li>{escape(note.strip())}</li>" for note in scenario.look_at)
    problems = "".join(f"<li>{escape(p)}</li>" for p in result.problems)
    sections = [
        '<div class="banner">sandbox — synthetic data: every citizen here is generated</div>',
        f"<h1>{escape(scenario.title)}</h1>",
        f'<p class="meta">scenario <b>{escape(result.name)}</b> · {escape(result.url)} · '
        f"{started} · {result.seconds:,.1f} s · rates × {result.scale:g} · "
        f"{whole.calls:,} calls ({whole.rate:,.1f}/s), {whole.outcomes.get('denied', 0):,} denied, "
        f"{whole.errors:,} errors</p>",
        f"<h2>The story</h2>{story}",
        f'<h2 class="bad">Not as the scenario says</h2><ul>{problems}</ul>' if problems else "",
        f"<h2>What to look at</h2><ul>{notes}</ul>" if notes else "",
        "<h2>Per agency</h2>" + _agency_table(rows, whole),
        *charts,
        _steps(result),
        _life(result),
        _parts(result),
        f'<p class="note">popreg {escape(__version__)} · generated '
        f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC</p>",
    ]
    body = "\n".join(s for s in sections if s)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(scenario.title)} — popreg scenario (sandbox, synthetic data)</title>"
        f"<style>{STYLE}</style>"
        f'<script type="text/javascript">{_plotly_js()}</script>'
        f"</head><body>\n{body}\n</body></html>\n"
    )


def default_path(name: str, started_at: float, directory: Path = Path("var/reports")) -> Path:
    stamp = datetime.fromtimestamp(started_at, UTC).strftime("%Y%m%d-%H%M%S")
    return directory / f"{name}-{stamp}.html"


def write(result: ScenarioResult, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(result), encoding="utf-8")
    return path
