"""Claiming a job's next chunk with a lease: one statement per dialect, any chunk table.

A chunk table has ``job_id``, ``number``, ``state`` (pending, claimed, done),
``claim_token`` and ``lease_until``; its job table has ``id`` and ``state``. A
claim takes a pending chunk, or a claimed one whose lease ran out (its worker
died), of a job in one of the runnable states.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import Connection, TextClause, text

from app.models.base import utcnow

ClaimStatements = dict[str, TextClause]

_CLAIM = """
UPDATE {chunks}
SET state = 'claimed', claim_token = :token, lease_until = :until
WHERE (job_id, number) = (
    SELECT c.job_id, c.number FROM {chunks} c
    WHERE (c.state = 'pending' OR (c.state = 'claimed' AND c.lease_until < :now))
      AND c.job_id IN (SELECT id FROM {jobs} WHERE state IN ({states}))
    ORDER BY c.number, c.job_id
    LIMIT 1 {lock}
)
RETURNING job_id, number
"""


def claim_statements(chunks: str, jobs: str, runnable: Sequence[str]) -> ClaimStatements:
    """The claim for each dialect; table names and states are the caller's constants."""
    states = ", ".join(f"'{state}'" for state in runnable)
    return {
        "sqlite": text(_CLAIM.format(chunks=chunks, jobs=jobs, states=states, lock="")),
        # Several processes take different chunks instead of queueing on one row.
        "postgresql": text(
            _CLAIM.format(
                chunks=chunks, jobs=jobs, states=states, lock="FOR UPDATE OF c SKIP LOCKED"
            )
        ),
    }


def claim(
    connection: Connection, statements: ClaimStatements, token: str, lease: timedelta
) -> tuple[str, int] | None:
    """The job id and number of the chunk now held under ``token``, or None."""
    now = utcnow()
    claimed = connection.execute(
        statements[connection.dialect.name], {"token": token, "until": now + lease, "now": now}
    ).first()
    return None if claimed is None else (str(claimed[0]), int(claimed[1]))
