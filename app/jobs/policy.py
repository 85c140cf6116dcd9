"""A job's purpose as it stands now: policies can change while a job runs."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.agencies import repository as agency_repository
from app.agencies.service import to_policy
from app.auth.principal import PurposePolicy
from app.db import Database
from app.jobs.worker import JobUnrunnableError
from app.models.enums import Operation


def current_policy(
    database: Database, agency_code: str, purpose: str, operation: Operation
) -> PurposePolicy:
    """The purpose's policy now, if it still allows ``operation``; else JobUnrunnableError."""
    with Session(database.engine) as session:
        agency = agency_repository.get_agency(session, agency_code)
        found = (
            None
            if agency is None
            else next((p for p in agency.purposes if p.code == purpose), None)
        )
        if found is None:
            raise JobUnrunnableError(f"purpose {purpose!r} no longer exists")
        policy = to_policy(found)
    if not policy.allows(operation):
        raise JobUnrunnableError(f"purpose {purpose!r} no longer allows {operation.value!r}")
    return policy
