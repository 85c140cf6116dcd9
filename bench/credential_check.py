"""What the security layers add to each request's credential check, in microseconds.

    .venv/bin/python bench/credential_check.py [--rounds 200000]

The lookup fast path answers a cached API key without a database read. Since the
cross-process change signal (app/auth/changes.py) and brute-force throttling
(app/auth/throttle.py), each check also stats the SQLite revision file (or reads
the PostgreSQL listener's counter) and asks whether the caller's address or key
is locked; each answer gets ``nosniff`` and ``no-store`` headers. This times those
steps alone, in one process, against the bare cached check, so the figures do not
depend on the machine's load as much as a whole-server run (bench/lookup.py) does.
Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.agencies.keys import demo_api_key, hash_key  # noqa: E402
from app.auth.cache import CredentialCache  # noqa: E402
from app.auth.changes import PostgresListener, RevisionFile, bump_revision  # noqa: E402
from app.auth.principal import Principal  # noqa: E402
from app.auth.service import cached_principal  # noqa: E402
from app.auth.throttle import CredentialThrottle  # noqa: E402
from app.config import Settings  # noqa: E402
from app.limits.failures import InProcessFailures  # noqa: E402
from app.middleware import _add_security_headers  # noqa: E402
from app.models.enums import Sector  # noqa: E402

PRINCIPAL = Principal(agency_id=1, agency_code="honglinh-hospital", sector=Sector.HOSPITAL)
KEY = demo_api_key("honglinh-hospital")
SCOPE = {"client": ("10.0.0.7", 51234)}


def per_call_us(function: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(5):  # best of five: the least disturbed by other processes
        started = time.perf_counter()
        for _ in range(rounds):
            function()
        best = min(best, time.perf_counter() - started)
    return best / rounds * 1e6


def cache_with(watcher: object) -> CredentialCache:
    cache = CredentialCache(3600, watcher)  # type: ignore[arg-type]
    cache.put_key(KEY.prefix, hash_key(KEY.secret), PRINCIPAL)
    return cache


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200_000)
    rounds = parser.parse_args().rounds
    work = Path(tempfile.mkdtemp(prefix="popreg-bench-"))
    revision = work / "popreg.db-credentials"
    bump_revision(revision)
    listener = PostgresListener("postgresql://bench@127.0.0.1/none")  # never started

    bare = cache_with(None)
    sqlite = cache_with(RevisionFile(revision))
    postgres = cache_with(listener)
    settings = Settings(database_url="sqlite://")
    throttle = CredentialThrottle(settings, InProcessFailures())
    busy = CredentialThrottle(settings, InProcessFailures())
    for n in range(1000):  # other clients failed lately: the lock check does look things up
        busy.counter.take(f"ip:10.1.{n // 250}.{n % 250}", 30, 300)  # type: ignore[attr-defined]

    def headers() -> None:
        _add_security_headers(
            [(b"content-type", b"application/json"), (b"x-request-id", b"0" * 32)], True
        )

    rows = [
        ("cached key check, no watcher (before)", lambda: cached_principal(bare, KEY.secret)),
        ("cached key check, SQLite revision file", lambda: cached_principal(sqlite, KEY.secret)),
        ("cached key check, PostgreSQL listener", lambda: cached_principal(postgres, KEY.secret)),
        ("lock check, nobody failed lately", lambda: throttle.api_key_blocked(SCOPE, KEY.secret)),
        (
            "lock check, 1,000 addresses failed lately",
            lambda: busy.api_key_blocked(SCOPE, KEY.secret),
        ),
        ("security headers on an answer", headers),
    ]
    print("| step | µs per request |")
    print("|---|---:|")
    for label, function in rows:
        print(f"| {label} | {per_call_us(function, rounds):.2f} |")


if __name__ == "__main__":
    main()
