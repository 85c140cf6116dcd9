"""Synthetic population: personas, households and citizens, and dirty agency datasets.

``populate(engine, citizens=N, seed=S)`` fills a migrated database; ``content_hash``
proves two databases hold the same rows.
"""

from seed.hashing import content_hash
from seed.populate import DatabaseNotEmptyError, SeedReport, count_citizens, populate

__all__ = ["DatabaseNotEmptyError", "SeedReport", "content_hash", "count_citizens", "populate"]
