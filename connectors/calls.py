"""The client-side log of every call a connector makes: what it asked, why, what came back.

An integrator reads it to see their own traffic the way the registry's audit log
sees it; the runner and the scenario reports aggregate it (rates, outcomes,
denials, latency percentiles).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx
import orjson


@dataclass(frozen=True, slots=True)
class Call:
    """One logical call (however many HTTP attempts it took)."""

    at: float  # unix time the call started
    connector: str
    agency: str
    task: str
    purpose: str | None
    method: str
    path: str  # the route, personal IDs left out (``/v1/citizens/{personal_id}``)
    status: int | None  # the last answer's status; None when no answer came
    code: str | None  # the problem code of a 4xx/5xx answer
    attempts: int
    seconds: float
    request_id: str

    @property
    def outcome(self) -> str:
        """ok, denied (403), not_found, invalid (4xx), rate_limited, server_error, unreachable."""
        status = self.status
        if status is None:
            return "unreachable"
        if status < 400:
            return "ok"
        if status == 403:
            return "denied"
        if status == 404:
            return "not_found"
        if status == 429:
            return "rate_limited"
        if status < 500:
            return "invalid"
        return "server_error"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "outcome": self.outcome}


@dataclass
class CallLog:
    """Thread-safe list of calls, optionally also appended to a JSON-lines file."""

    sink: TextIO | None = None
    calls: list[Call] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def to_file(cls, path: Path) -> CallLog:
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(sink=path.open("a", encoding="utf-8"))

    def add(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            if self.sink is not None:
                self.sink.write(orjson.dumps(call.as_dict()).decode() + "\n")

    def close(self) -> None:
        if self.sink is not None:
            self.sink.close()

    def __iter__(self) -> Iterator[Call]:
        with self._lock:
            return iter(list(self.calls))

    def __len__(self) -> int:
        return len(self.calls)

    def since(self, start: int) -> list[Call]:
        with self._lock:
            return self.calls[start:]


@dataclass(frozen=True, slots=True)
class Summary:
    calls: int
    seconds: float
    outcomes: dict[str, int]
    codes: dict[str, int]
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.calls / self.seconds if self.seconds > 0 else 0.0

    @property
    def errors(self) -> int:
        """Calls that did not get the answer the workflow expects to be possible."""
        return sum(n for o, n in self.outcomes.items() if o in ("server_error", "unreachable"))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summarise(calls: list[Call], seconds: float | None = None) -> Summary:
    durations = [c.seconds * 1000 for c in calls]
    span = seconds
    if span is None:
        span = (max(c.at + c.seconds for c in calls) - min(c.at for c in calls)) if calls else 0.0
    return Summary(
        calls=len(calls),
        seconds=span,
        outcomes=dict(Counter(c.outcome for c in calls)),
        codes=dict(Counter(c.code for c in calls if c.code)),
        p50_ms=percentile(durations, 50),
        p99_ms=percentile(durations, 99),
    )


def problem_code(response: httpx.Response | None) -> str | None:
    """The stable ``code`` of a problem+json answer (None for a success or no answer)."""
    if response is None or response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return str(code) if code else None


def now() -> float:
    return time.time()
