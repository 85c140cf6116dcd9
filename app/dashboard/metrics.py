"""In-process traffic metrics, fed at the edge by a pure-ASGI layer.

The hot path only appends a tuple to a bounded deque; the dashboard's stream does
the counting once a second, off the request path.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Enough for a few seconds of a load test; older samples fall off the end.
MAX_SAMPLES = 50_000
WINDOW_SECONDS = 1.0
LOOKUP_PREFIX = "/v1/citizens/"
SKIPPED_PREFIXES = ("/dashboard", "/favicon")


class TrafficMetrics:
    """Recent requests as ``(finished_at, route, status, duration_ms)`` samples."""

    def __init__(self, max_samples: int = MAX_SAMPLES) -> None:
        self.samples: deque[tuple[float, str, int, float]] = deque(maxlen=max_samples)
        self.total = 0

    def record(self, route: str, status: int, duration_ms: float) -> None:
        self.total += 1
        self.samples.append((time.monotonic(), route, status, duration_ms))

    def snapshot(self, window: float = WINDOW_SECONDS) -> dict[str, Any]:
        """Counters over the last ``window`` seconds plus the all-time total."""
        since = time.monotonic() - window
        recent = [s for s in list(self.samples) if s[0] >= since]
        durations = sorted(s[3] for s in recent)
        routes = Counter(s[1] for s in recent)
        outcomes = Counter(_outcome(s[2]) for s in recent)
        statuses = Counter(str(s[2]) for s in recent)
        return {
            "total": self.total,
            "requests_per_second": round(len(recent) / window, 1),
            "by_route": dict(routes.most_common(12)),
            "outcomes": dict(outcomes),
            "statuses": dict(statuses),
            "p50_ms": _percentile(durations, 0.50),
            "p99_ms": _percentile(durations, 0.99),
        }


def _outcome(status: int) -> str:
    if status < 400:
        return "ok"
    if status < 500:
        return "refused"
    return "error"


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    index = min(len(values) - 1, int(fraction * len(values)))
    return round(values[index], 2)


def _route(scope: Scope) -> str:
    # The template, never the raw path: paths carry personal IDs.
    route = getattr(scope.get("route"), "path", None)
    if isinstance(route, str):
        return f"{scope['method']} {route}"
    path: str = scope["path"]
    if path.startswith(LOOKUP_PREFIX):  # answered by the fast path, outside the router
        return f"{scope['method']} /v1/citizens/{{personal_id}}"
    return f"{scope['method']} <unmatched>"


class MetricsMiddleware:
    """Records route template, status and duration of every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: TrafficMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(SKIPPED_PREFIXES):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            self.metrics.record(_route(scope), status, (time.perf_counter() - started) * 1000)
