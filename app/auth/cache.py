"""In-memory cache of API keys and agency policies: no database read per request.

Entries live ``ttl`` seconds. A change to keys or policies drops every entry:
in this process at once, in every other process as soon as its ``watcher``
reports the change (``app.auth.changes``: a revision file on SQLite, NOTIFY on
PostgreSQL), checked on every lookup.

An entry read from the database is stored only if no change was reported
while it was being read (``generation``), so a revocation that commits during
that read is never papered over by the stale row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from app.auth.changes import CredentialWatcher
from app.auth.principal import Principal


@dataclass(frozen=True, slots=True)
class CachedKey:
    key_hash: str
    principal: Principal
    expires: float


class CredentialCache:
    def __init__(self, ttl_seconds: float, watcher: CredentialWatcher | None = None) -> None:
        self.ttl = ttl_seconds
        self.watcher = watcher
        self.generation = 0
        self._keys: dict[str, CachedKey | float] = {}  # float: known-absent until then
        self._agencies: dict[str, tuple[Principal, float]] = {}

    def refresh(self) -> int:
        """Drop everything if credentials changed elsewhere; the generation to store under."""
        watcher = self.watcher
        if watcher is not None and watcher.changed():
            self.invalidate()
        return self.generation

    def key(self, prefix: str) -> CachedKey | Literal[False] | None:
        """The cached key, ``False`` if known absent, ``None`` if not cached."""
        self.refresh()
        entry = self._keys.get(prefix)
        if entry is None:
            return None
        now = time.monotonic()
        if isinstance(entry, float):
            return False if entry > now else None
        return entry if entry.expires > now else None

    def put_key(
        self, prefix: str, key_hash: str, principal: Principal, *, generation: int | None = None
    ) -> CachedKey:
        entry = CachedKey(key_hash, principal, time.monotonic() + self.ttl)
        if generation is None or generation == self.generation:
            self._keys[prefix] = entry
            self._agencies[principal.agency_code] = (principal, entry.expires)
        return entry

    def put_absent_key(self, prefix: str, *, generation: int | None = None) -> None:
        # Short, so a key created in a process that cannot signal is usable within seconds.
        if generation is None or generation == self.generation:
            self._keys[prefix] = time.monotonic() + min(self.ttl, 5.0)

    def agency(self, code: str) -> Principal | None:
        self.refresh()
        entry = self._agencies.get(code)
        if entry is None or entry[1] <= time.monotonic():
            return None
        return entry[0]

    def put_agency(self, principal: Principal, *, generation: int | None = None) -> None:
        if generation is None or generation == self.generation:
            self._agencies[principal.agency_code] = (principal, time.monotonic() + self.ttl)

    def invalidate(self) -> None:
        """Forget everything (after any change to keys or policies)."""
        self.generation += 1
        self._keys.clear()
        self._agencies.clear()

    def start(self) -> None:
        """Start hearing of other processes' changes (a serving process's lifespan)."""
        if self.watcher is not None:
            self.watcher.start()
            self.invalidate()  # whatever was cached before listening may be stale

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
