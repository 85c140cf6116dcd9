"""Fault rules as the edge uses them: compiled route globs, effects, the request header.

Pure code, no I/O: the service stores rules, ``FaultRules`` caches them per process,
the middleware asks a rule whether it matches and an effect what to do.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

MAX_LATENCY_MS = 30_000  # every latency, fixed or drawn, is capped here
MAX_BYTES_PER_SECOND = 100_000_000
DEFAULT_RETRY_AFTER = 1
HEADER = "X-Sandbox-Fault"
HEADER_KEY = b"x-sandbox-fault"
INJECTED_HEADER = b"x-sandbox-fault-injected"
# Never faulted: the probes that orchestrators act on, and the way to remove a fault.
# Probes, the fault endpoints and the dashboard (where a teacher removes a rule that
# went too far) are never faulted.
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/v1/sandbox/faults", "/"})
EXEMPT_PREFIXES = ("/v1/sandbox/faults/", "/dashboard")
ROUTE_CHARS = re.compile(r"^/[A-Za-z0-9._~!$&'()+,;=:@%/*?{}-]*$")
TEMPLATE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class FaultKind(StrEnum):
    LATENCY = "latency"
    ERROR = "error"
    DROP = "drop"
    SLOW_BODY = "slow_body"


@dataclass(frozen=True, slots=True)
class Effect:
    """What goes wrong. Latency: ``ms``, ``min_ms``–``max_ms`` or ``mean_ms`` ± ``stddev_ms``.

    Unused fields stay None; the stored JSON names only those given.
    """

    kind: FaultKind
    status: int | None = None  # error: 500, 502, 503 or 504
    retry_after: int | None = None  # error 503: the Retry-After seconds
    ms: int | None = None
    min_ms: int | None = None
    max_ms: int | None = None
    mean_ms: int | None = None
    stddev_ms: int | None = None
    bytes_per_second: int | None = None  # slow_body

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Effect:
        """The effect stored as JSON (the API's effect object)."""
        fields = {k: v for k, v in document.items() if k != "kind" and v is not None}
        return cls(kind=FaultKind(document["kind"]), **fields)

    def delay_ms(self, rng: random.Random) -> float:
        """This request's latency: fixed, uniform or normal, within 0–30 s."""
        if self.ms is not None:
            drawn = float(self.ms)
        elif self.min_ms is not None and self.max_ms is not None:
            drawn = rng.uniform(self.min_ms, self.max_ms)
        elif self.mean_ms is not None:
            drawn = rng.gauss(self.mean_ms, self.stddev_ms or 0)
        else:
            drawn = 0.0
        return min(max(drawn, 0.0), float(MAX_LATENCY_MS))

    def summary(self) -> str:
        """A few words for problem details and logs: ``error 503``, ``latency 200 ms``."""
        if self.kind is FaultKind.ERROR:
            return f"error {self.status}"
        if self.kind is FaultKind.SLOW_BODY:
            return f"slow body at {self.bytes_per_second} bytes/s"
        if self.kind is FaultKind.LATENCY:
            if self.ms is not None:
                return f"latency {self.ms} ms"
            if self.min_ms is not None:
                return f"latency {self.min_ms}–{self.max_ms} ms"
            return f"latency {self.mean_ms} ± {self.stddev_ms} ms"
        return "drop"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    agency: str | None
    route: str
    pattern: re.Pattern[str]
    methods: frozenset[str]  # empty: any method
    probability: float
    effect: Effect
    expires_at: float | None  # unix time

    def matches(self, method: str, path: str, now: float) -> bool:
        """Route, method and expiry; the caller checks the agency (it may cost a lookup)."""
        return (
            (not self.methods or method in self.methods)
            and self.pattern.fullmatch(path) is not None
            and (self.expires_at is None or now < self.expires_at)
        )


def compile_route(route: str) -> re.Pattern[str]:
    """A route glob as a regular expression over the request path (query string ignored).

    ``*`` matches within one path segment, ``**`` across segments (any depth, even
    none: ``/v1/**`` matches ``/v1/citizens/1`` and ``/v1/``), ``?`` one character
    other than ``/``, and a template parameter such as ``{personal_id}`` one whole
    segment (so routes can be copied from the API reference); the rest matches itself.
    """
    if not ROUTE_CHARS.match(route):
        raise ValueError(
            "a route starts with / and holds only path characters and the wildcards * ** ?"
        )
    if "***" in route:
        raise ValueError("*** is not a wildcard: use * (one segment) or ** (any depth)")
    parts = []
    index = 0
    while index < len(route):
        if route.startswith("**", index):
            parts.append(".*")
            index += 2
        elif route[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif route[index] == "{":
            end = route.find("}", index)
            if end == -1 or not TEMPLATE_NAME.match(route[index + 1 : end]):
                raise ValueError("a { starts a parameter such as {personal_id} and needs its }")
            parts.append("[^/]+")
            index = end + 1
        elif route[index] == "}":
            raise ValueError("a } closes a parameter such as {personal_id}")
        elif route[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(route[index]))
            index += 1
    return re.compile("".join(parts))


def is_exempt(path: str) -> bool:
    """Health probes, the fault endpoints and the dashboard are never faulted."""
    return path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES)


_HEADER_FORMS = re.compile(
    r"^(?:(?P<status>50[0234])(?:\s*;\s*retry-after\s*=\s*(?P<retry>\d{1,4}))?"
    r"|(?P<drop>drop)"
    r"|latency\s*=\s*(?P<ms>\d{1,5})\s*(?:ms)?"
    r"|slow\s*=\s*(?P<bps>\d{1,9}))$",
    re.IGNORECASE,
)
HEADER_FORMS = (
    "500, 502, 503 (optionally 503;retry-after=SECONDS), 504, drop, "
    "latency=MILLISECONDSms (at most 30000) or slow=BYTES_PER_SECOND"
)


def parse_header(value: str) -> Effect:
    """The effect an ``X-Sandbox-Fault`` value asks for; ValueError says what is wrong."""
    found = _HEADER_FORMS.match(value.strip())
    if found is None:
        raise ValueError(f"{HEADER}: {value[:60]!r} is not a fault; use one of {HEADER_FORMS}.")
    if found["status"]:
        status = int(found["status"])
        if found["retry"] is not None and status != 503:
            raise ValueError(f"{HEADER}: retry-after goes with 503 only.")
        retry_after = int(found["retry"] or DEFAULT_RETRY_AFTER) if status == 503 else None
        return Effect(FaultKind.ERROR, status=status, retry_after=retry_after)
    if found["drop"]:
        return Effect(FaultKind.DROP)
    if found["ms"] is not None:
        ms = int(found["ms"])
        if ms > MAX_LATENCY_MS:
            raise ValueError(f"{HEADER}: latency is at most {MAX_LATENCY_MS} ms.")
        return Effect(FaultKind.LATENCY, ms=ms)
    bytes_per_second = int(found["bps"])
    if not 1 <= bytes_per_second <= MAX_BYTES_PER_SECOND:
        raise ValueError(f"{HEADER}: slow= takes 1 to {MAX_BYTES_PER_SECOND} bytes per second.")
    return Effect(FaultKind.SLOW_BODY, bytes_per_second=bytes_per_second)


_LONG_NUMBERS = re.compile(r"\d{9,}")


def loggable_path(path: str) -> str:
    """The path with personal IDs and CMND numbers (9+ digits) left out, for the audit log."""
    return _LONG_NUMBERS.sub("{id}", path)
