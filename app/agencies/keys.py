"""API key format: ``prk_<8 hex>_<secret>``; the ``prk_<8 hex>`` prefix identifies the key.

Only a SHA-256 hash of the whole key is stored: keys are 190+ bits of
randomness, so a fast hash is safe and keeps the lookup cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_SCHEME = "prk"


@dataclass(frozen=True, slots=True)
class NewApiKey:
    prefix: str
    secret: str  # the full key, shown once

    @property
    def key_hash(self) -> str:
        return hash_key(self.secret)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key: str) -> str | None:
    """The identifying prefix of a well-formed key, else None."""
    parts = key.split("_", 2)  # the secret itself may contain "_"
    if len(parts) != 3 or parts[0] != KEY_SCHEME or len(parts[1]) != 8 or not parts[2]:
        return None
    return f"{parts[0]}_{parts[1]}"


def generate_api_key() -> NewApiKey:
    prefix = f"{KEY_SCHEME}_{secrets.token_hex(4)}"
    return NewApiKey(prefix=prefix, secret=f"{prefix}_{secrets.token_urlsafe(32)}")


def demo_api_key(agency_code: str) -> NewApiKey:
    """A fixed, documented key for a demo agency (sandbox mode only)."""
    digest = hashlib.sha256(f"popreg-demo:{agency_code}".encode()).hexdigest()
    prefix = f"{KEY_SCHEME}_{digest[:8]}"
    return NewApiKey(prefix=prefix, secret=f"{prefix}_demo{digest[8:40]}")


def key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_key(key), stored_hash)
