"""Rules of the citizen's side: sign-in, consents, the data tracker."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from app.audit.records import AuditEntry
from app.citizen import repository
from app.citizen.errors import (
    ConsentNotFoundError,
    ConsentNotNeededError,
    InvalidCitizenLoginError,
    PurposeUnknownError,
)
from app.citizen.schemas import AccessRecord, ConsentCreate, ConsentRead
from app.citizen.words import describe
from app.identity.personal_id import is_valid_personal_id
from app.models import Consent
from app.models.base import as_utc

LOGIN_REFUSED = "That personal ID and code do not sign anyone in."


def check_login(session: Session, personal_id: str, code: str, expected_code: str) -> None:
    # The same answer for an unknown ID and a wrong code: sign-in reveals nobody.
    code_ok = secrets.compare_digest(code.encode(), expected_code.encode())
    if not (is_valid_personal_id(personal_id) and code_ok):
        raise InvalidCitizenLoginError(LOGIN_REFUSED)
    if not repository.citizen_exists(session, personal_id):
        raise InvalidCitizenLoginError(LOGIN_REFUSED)


def _status(consent: Consent, now: datetime) -> Literal["live", "expired", "withdrawn"]:
    if consent.withdrawn_at is not None:
        return "withdrawn"
    if consent.expires_at is not None and as_utc(consent.expires_at) <= now:
        return "expired"
    return "live"


def to_read(consent: Consent, now: datetime) -> ConsentRead:
    return ConsentRead(
        id=consent.id,
        agency=consent.agency_code,
        purpose=consent.purpose,
        granted_at=as_utc(consent.granted_at),
        expires_at=as_utc(consent.expires_at) if consent.expires_at else None,
        withdrawn_at=as_utc(consent.withdrawn_at) if consent.withdrawn_at else None,
        status=_status(consent, now),
    )


def list_consents(session: Session, personal_id: str) -> list[ConsentRead]:
    now = datetime.now(UTC)
    return [to_read(c, now) for c in repository.consents_of(session, personal_id)]


def grant_consent(
    session: Session, personal_id: str, spec: ConsentCreate
) -> tuple[ConsentRead, AuditEntry]:
    found = repository.purpose_of(session, spec.agency, spec.purpose)
    if found is None:
        raise PurposeUnknownError(f"Agency {spec.agency!r} has no purpose {spec.purpose!r}.")
    if not found[1].consent_required:
        raise ConsentNotNeededError(
            f"Purpose {spec.purpose!r} of {spec.agency!r} does not ask for consent: "
            "it rests on another legal basis."
        )
    now = datetime.now(UTC)
    consent = repository.add_consent(
        session,
        Consent(
            personal_id=personal_id,
            agency_code=spec.agency,
            purpose=spec.purpose,
            granted_at=now,
            expires_at=now + timedelta(days=spec.days) if spec.days else None,
        ),
    )
    entry = AuditEntry(
        operation="consent_grant",
        outcome="granted",
        agency_code=spec.agency,
        purpose=spec.purpose,
        personal_id=personal_id,
        detail={"consent_id": consent.id},
    )
    return to_read(consent, now), entry


def withdraw_consent(
    session: Session, personal_id: str, consent_id: int
) -> tuple[ConsentRead, AuditEntry | None]:
    consent = repository.consent(session, personal_id, consent_id)
    if consent is None:
        raise ConsentNotFoundError(f"You have no consent with id {consent_id}.")
    now = datetime.now(UTC)
    if consent.withdrawn_at is not None:
        return to_read(consent, now), None
    consent.withdrawn_at = now
    session.flush()
    entry = AuditEntry(
        operation="consent_withdraw",
        outcome="withdrawn",
        agency_code=consent.agency_code,
        purpose=consent.purpose,
        personal_id=personal_id,
        detail={"consent_id": consent.id},
    )
    return to_read(consent, now), entry


def access_log(
    session: Session, personal_id: str, *, before: int | None, limit: int
) -> tuple[list[AccessRecord], int | None]:
    rows = repository.access_records(session, personal_id, before=before, limit=limit)
    records = [
        AccessRecord(
            seq=row["seq"],
            when=row["occurred_at"],
            agency=row["agency_code"],
            agency_name=row["agency_name"],
            purpose=row["purpose"],
            operation=row["operation"],
            outcome=row["outcome"],
            fields=row["fields"] or [],
            summary=describe(row),
        )
        for row in rows
    ]
    next_before = records[-1].seq if len(records) == limit else None
    return records, next_before


def consent_is_live(session: Session, personal_id: str, agency_code: str, purpose: str) -> bool:
    return repository.has_live_consent(
        session, personal_id, agency_code, purpose, datetime.now(UTC)
    )
