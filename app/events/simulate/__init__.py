"""``popreg simulate life``: a steady stream of plausible life events through the HTTP API.

For workshops: while it runs, the registry is alive. Babies are born to mothers
aged 18-45 (fathered by their husbands), the old die, couples marry and divorce,
people move, lose their cards and change their names, each recorded by a civil
registry agency through ``/v1/civil/*`` exactly as a real one would, so the change
feed and webhooks carry them. Subjects come from ``GET /v1/sandbox/citizens/sample``
(admin token) in batches; requests are paced evenly to ``--rate``.

The mix follows Vietnam's yearly volumes; the table, with its sources, is in
:mod:`app.events.simulate.mix`.

Refusals (409/422, and 404 when an ID just changed) are counted, not fatal: a run
races with itself and with other users. 429 and 5xx answers and connection errors
are retried with backoff, honouring ``Retry-After``, under the same
``Idempotency-Key``. Everything here is an HTTP client: it works against any server.

Modules: ``mix`` (the event mix, ``--rate`` and ``--duration``), ``options`` (what a
run is asked and what it did), ``api`` (the HTTP calls, with retries), ``pools``
(sampled candidates), ``operations`` (each request's body), ``runner`` (pacing and
the async engine), ``report`` (progress line and summary table), ``cli`` (the command).
"""

from app.events.simulate.api import Aborted, Candidate, GaveUp, RegistryApi, retry_after
from app.events.simulate.cli import life, simulate_cli
from app.events.simulate.mix import KINDS, YEARLY_MILLIONS, parse_duration, parse_rate
from app.events.simulate.operations import Operations, Plan
from app.events.simulate.options import SimulationOptions, Tally
from app.events.simulate.pools import Pools
from app.events.simulate.report import progress_line, summary_table
from app.events.simulate.runner import Simulator, simulate

__all__ = [
    "KINDS",
    "YEARLY_MILLIONS",
    "Aborted",
    "Candidate",
    "GaveUp",
    "Operations",
    "Plan",
    "Pools",
    "RegistryApi",
    "SimulationOptions",
    "Simulator",
    "Tally",
    "life",
    "parse_duration",
    "parse_rate",
    "progress_line",
    "retry_after",
    "simulate",
    "simulate_cli",
    "summary_table",
]
