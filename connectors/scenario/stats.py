"""The figures of a scenario run, from its call log: per agency, per second, per task, per code."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from connectors.calls import Call, percentile
from connectors.scenario.runner import ScenarioResult

OUTCOMES = ("ok", "denied", "not_found", "invalid", "rate_limited", "server_error", "unreachable")


@dataclass(frozen=True, slots=True)
class Row:
    """One part's calls for one agency (the steps may speak for several agencies)."""

    part: str
    agency: str
    calls: int
    rate: float  # calls per second over the part's time
    outcomes: dict[str, int]
    codes: dict[str, int]
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def label(self) -> str:
        return f"{self.agency} · {self.part}"

    @property
    def errors(self) -> int:
        return self.outcomes.get("server_error", 0) + self.outcomes.get("unreachable", 0)


@dataclass(frozen=True, slots=True)
class TaskLatency:
    label: str  # the row's
    task: str
    calls: int
    p50_ms: float
    p95_ms: float
    p99_ms: float


def _key(call: Call) -> tuple[str, str]:
    return call.connector, call.agency


def _ms(calls: list[Call]) -> list[float]:
    return [c.seconds * 1000 for c in calls]


def rows(result: ScenarioResult) -> list[Row]:
    seconds = {p.name: p.seconds for p in result.parts}
    grouped: dict[tuple[str, str], list[Call]] = defaultdict(list)
    for call in result.calls:
        grouped[_key(call)].append(call)
    found = []
    for (part, agency), calls in sorted(grouped.items()):
        span = min(seconds.get(part, result.seconds), result.seconds) or 1.0
        ms = _ms(calls)
        found.append(
            Row(
                part=part,
                agency=agency,
                calls=len(calls),
                rate=len(calls) / span,
                outcomes=dict(Counter(c.outcome for c in calls)),
                codes=dict(Counter(c.code for c in calls if c.code).most_common()),
                p50_ms=percentile(ms, 50),
                p95_ms=percentile(ms, 95),
                p99_ms=percentile(ms, 99),
            )
        )
    return found


def total(result: ScenarioResult) -> Row:
    ms = _ms(result.calls)
    return Row(
        part="all",
        agency="all",
        calls=len(result.calls),
        rate=len(result.calls) / result.seconds if result.seconds else 0.0,
        outcomes=dict(Counter(c.outcome for c in result.calls)),
        codes=dict(Counter(c.code for c in result.calls if c.code).most_common()),
        p50_ms=percentile(ms, 50),
        p95_ms=percentile(ms, 95),
        p99_ms=percentile(ms, 99),
    )


def per_second(result: ScenarioResult) -> tuple[list[int], dict[str, list[int]]]:
    """Calls started in each second of the run, per row label (x: seconds from the start)."""
    width = max(1, int(result.seconds) + 1)
    counts: dict[str, list[int]] = {}
    for call in result.calls:
        part, agency = _key(call)
        label = f"{agency} · {part}"
        second = min(width - 1, max(0, int(call.at - result.started_at)))
        counts.setdefault(label, [0] * width)[second] += 1
    return list(range(width)), dict(sorted(counts.items()))


def latency_by_task(result: ScenarioResult) -> list[TaskLatency]:
    grouped: dict[tuple[str, str], list[Call]] = defaultdict(list)
    for call in result.calls:
        part, agency = _key(call)
        grouped[(f"{agency} · {part}", call.task)].append(call)
    found = []
    for (label, task), calls in sorted(grouped.items()):
        ms = _ms(calls)
        found.append(
            TaskLatency(
                label, task, len(calls), percentile(ms, 50), percentile(ms, 95), percentile(ms, 99)
            )
        )
    return found


def codes_by_agency(result: ScenarioResult) -> dict[str, dict[str, int]]:
    """Problem codes (denials first) → row label → count."""
    found: dict[str, Counter[str]] = defaultdict(Counter)
    for call in result.calls:
        if call.code:
            part, agency = _key(call)
            found[call.code][f"{agency} · {part}"] += 1
    ordered = sorted(found.items(), key=lambda item: (-item[1].total(), item[0]))
    return {code: dict(counter) for code, counter in ordered}


def denied_codes(result: ScenarioResult) -> set[str]:
    return {c.code for c in result.calls if c.code and c.outcome == "denied"}
