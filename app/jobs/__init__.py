"""Durable chunked jobs: leased chunk claims and the worker loop cleaning and extracts share."""

from app.jobs.claims import ClaimStatements, claim_statements
from app.jobs.policy import current_policy
from app.jobs.progress import measure
from app.jobs.worker import ChunkWorker, JobUnrunnableError

__all__ = [
    "ChunkWorker",
    "ClaimStatements",
    "JobUnrunnableError",
    "claim_statements",
    "current_policy",
    "measure",
]
