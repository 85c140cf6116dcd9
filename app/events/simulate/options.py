"""What a simulation is asked to do (``SimulationOptions``) and what it did (``Tally``)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from app.agencies.keys import demo_api_key
from app.config import DEFAULT_ADMIN_TOKEN


@dataclass(frozen=True, slots=True)
class SimulationOptions:
    url: str = "http://127.0.0.1:8000"
    api_key: str = field(default_factory=lambda: demo_api_key("civil-registry-demo").secret)
    admin_token: str = DEFAULT_ADMIN_TOKEN
    purpose: str = "civil_status"
    rate: float = 5.0  # operations per second
    duration: float = 600.0  # seconds
    seed: int | None = None
    concurrency: int = 4
    province: str | None = None  # only citizens whose personal ID starts with it


@dataclass
class Tally:
    """What a run did, per operation kind; read live by the progress line."""

    recorded: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)  # nobody suitable to sample
    refusal_codes: Counter[str] = field(default_factory=Counter)
    error_codes: Counter[str] = field(default_factory=Counter)
    events: int = 0  # life events recorded (a marriage records two)
    retries: int = 0
    samples: int = 0
    started: float = field(default_factory=time.monotonic)
    elapsed: float = 0.0
    aborted: str | None = None

    @property
    def answered(self) -> int:
        return sum(self.recorded.values()) + sum(self.refused.values()) + sum(self.errors.values())

    def rate(self) -> float:
        elapsed = self.elapsed or (time.monotonic() - self.started)
        return self.answered / elapsed if elapsed > 0 else 0.0
