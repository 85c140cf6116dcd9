"""All SQL of the citizen's side: consents, and the audit records about a citizen."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from app.audit import repository as audit_repository
from app.models import Agency, AgencyPurpose, AuditEvent, Citizen, Consent, PersonalIdHistory


def citizen_exists(session: Session, personal_id: str) -> bool:
    return bool(session.scalar(select(exists().where(Citizen.personal_id == personal_id))))


def has_live_consent(
    session: Session, personal_id: str, agency_code: str, purpose: str, now: datetime
) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    Consent.personal_id == personal_id,
                    Consent.agency_code == agency_code,
                    Consent.purpose == purpose,
                    Consent.withdrawn_at.is_(None),
                    or_(Consent.expires_at.is_(None), Consent.expires_at > now),
                )
            )
        )
    )


def consents_of(session: Session, personal_id: str) -> Sequence[Consent]:
    return session.scalars(
        select(Consent).where(Consent.personal_id == personal_id).order_by(Consent.id)
    ).all()


def consent(session: Session, personal_id: str, consent_id: int) -> Consent | None:
    return session.scalars(
        select(Consent).where(Consent.id == consent_id, Consent.personal_id == personal_id)
    ).one_or_none()


def add_consent(session: Session, consent: Consent) -> Consent:
    session.add(consent)
    session.flush()
    return consent


def purpose_of(
    session: Session, agency_code: str, purpose: str
) -> tuple[Agency, AgencyPurpose] | None:
    row = session.execute(
        select(Agency, AgencyPurpose)
        .join(AgencyPurpose, AgencyPurpose.agency_id == Agency.id)
        .where(Agency.code == agency_code, AgencyPurpose.code == purpose)
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def numbers_before(session: Session, personal_id: str) -> list[str]:
    """The personal IDs this citizen held before corrections (their records are theirs too)."""
    return list(
        session.execute(
            select(PersonalIdHistory.previous_personal_id)
            .join(Citizen, Citizen.id == PersonalIdHistory.citizen_id)
            .where(Citizen.personal_id == personal_id)
        ).scalars()
    )


def access_records(
    session: Session, personal_id: str, *, before: int | None, limit: int
) -> list[dict[str, Any]]:
    """Audit records about a citizen, newest first, with agency names and purpose texts."""
    query = (
        select(
            AuditEvent.seq,
            AuditEvent.occurred_at,
            AuditEvent.agency_code,
            AuditEvent.purpose,
            AuditEvent.operation,
            AuditEvent.fields,
            AuditEvent.outcome,
            AuditEvent.code,
            Agency.name.label("agency_name"),
            AgencyPurpose.description.label("purpose_description"),
        )
        .outerjoin(Agency, Agency.code == AuditEvent.agency_code)
        .outerjoin(
            AgencyPurpose,
            (AgencyPurpose.agency_id == Agency.id) & (AgencyPurpose.code == AuditEvent.purpose),
        )
        .where(
            AuditEvent.seq.in_(
                audit_repository.seqs_about(
                    [personal_id, *numbers_before(session, personal_id)],
                    buckets=audit_repository.subject_buckets(session.connection()),
                    before=before,
                )
            )
        )
    )
    rows = session.execute(query.order_by(AuditEvent.seq.desc()).limit(limit)).all()
    return [dict(row._mapping) for row in rows]
