"""Synthetic population: personas, households and citizens, and dirty agency datasets.

``populate(engine, citizens=N, seed=S)`` fills a migrated database; ``content_hash``
proves two databases hold the same rows. The names are imported on first use, so
that importing the persona catalogue (as the API does) does not load numpy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seed.hashing import content_hash
    from seed.load import (
        DatabaseNotEmptyError,
        SeedReport,
        count_citizens,
        ensure_registry,
        populate,
    )

_LAZY = {
    "content_hash": "seed.hashing",
    "DatabaseNotEmptyError": "seed.load",
    "SeedReport": "seed.load",
    "count_citizens": "seed.load",
    "ensure_registry": "seed.load",
    "populate": "seed.load",
}

__all__ = [
    "DatabaseNotEmptyError",
    "SeedReport",
    "content_hash",
    "count_citizens",
    "ensure_registry",
    "populate",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'seed' has no attribute {name!r}")
