"""All SQL about agencies, their purposes and API keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.models import Agency, AgencyPurpose, ApiKey


def get_agency(session: Session, code: str) -> Agency | None:
    return session.scalars(
        select(Agency)
        .where(Agency.code == code)
        .options(selectinload(Agency.purposes), selectinload(Agency.api_keys))
    ).one_or_none()


def get_agency_by_id(session: Session, agency_id: int) -> Agency | None:
    return session.scalars(
        select(Agency)
        .where(Agency.id == agency_id)
        .options(selectinload(Agency.purposes), selectinload(Agency.api_keys))
    ).one_or_none()


def list_agencies(session: Session) -> Sequence[Agency]:
    return session.scalars(
        select(Agency)
        .order_by(Agency.code)
        .options(selectinload(Agency.purposes), selectinload(Agency.api_keys))
    ).all()


def add_agency(session: Session, agency: Agency) -> Agency:
    session.add(agency)
    session.flush()
    return agency


def get_purpose(session: Session, agency_id: int, code: str) -> AgencyPurpose | None:
    return session.scalars(
        select(AgencyPurpose).where(
            AgencyPurpose.agency_id == agency_id, AgencyPurpose.code == code
        )
    ).one_or_none()


def add_purpose(session: Session, purpose: AgencyPurpose) -> AgencyPurpose:
    session.add(purpose)
    session.flush()
    return purpose


def delete_purpose(session: Session, purpose: AgencyPurpose) -> None:
    session.delete(purpose)
    session.flush()


def add_api_key(session: Session, api_key: ApiKey) -> ApiKey:
    session.add(api_key)
    session.flush()
    return api_key


def get_api_key(session: Session, prefix: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()


def revoke_api_key(session: Session, api_key: ApiKey, when: datetime) -> None:
    api_key.revoked_at = when
    session.flush()


def find_active_key(session: Session, prefix: str) -> tuple[ApiKey, Agency] | None:
    """The unrevoked key with this prefix and its (active) agency with purposes."""
    row = session.execute(
        select(ApiKey, Agency)
        .join(Agency, Agency.id == ApiKey.agency_id)
        .where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None), Agency.active.is_(True))
        .options(selectinload(Agency.purposes))
    ).one_or_none()
    return None if row is None else (row[0], row[1])
