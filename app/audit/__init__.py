"""Tamper-evident audit log: group-committed, hash-chained records of every access."""
