"""In-memory cache of API keys and agency policies: no database read per request.

Entries live ``ttl`` seconds; a revocation in this process drops the entry at
once, other worker processes see it when their entry expires.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from app.auth.principal import Principal


@dataclass(frozen=True, slots=True)
class CachedKey:
    key_hash: str
    principal: Principal
    expires: float


class CredentialCache:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._keys: dict[str, CachedKey | float] = {}  # float: known-absent until then
        self._agencies: dict[str, tuple[Principal, float]] = {}

    def key(self, prefix: str) -> CachedKey | Literal[False] | None:
        """The cached key, ``False`` if known absent, ``None`` if not cached."""
        entry = self._keys.get(prefix)
        now = time.monotonic()
        if entry is None:
            return None
        if isinstance(entry, float):
            return False if entry > now else None
        return entry if entry.expires > now else None

    def put_key(self, prefix: str, key_hash: str, principal: Principal) -> CachedKey:
        entry = CachedKey(key_hash, principal, time.monotonic() + self.ttl)
        self._keys[prefix] = entry
        self._agencies[principal.agency_code] = (principal, entry.expires)
        return entry

    def put_absent_key(self, prefix: str) -> None:
        # Short, so a key created in another worker is usable within seconds.
        self._keys[prefix] = time.monotonic() + min(self.ttl, 5.0)

    def agency(self, code: str) -> Principal | None:
        entry = self._agencies.get(code)
        if entry is None or entry[1] <= time.monotonic():
            return None
        return entry[0]

    def put_agency(self, principal: Principal) -> None:
        self._agencies[principal.agency_code] = (principal, time.monotonic() + self.ttl)

    def invalidate(self) -> None:
        """Forget everything (after any change to keys or policies in this process)."""
        self._keys.clear()
        self._agencies.clear()
