"""Rules for agencies, their purposes (policy) and API keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from app.agencies import repository
from app.agencies.errors import (
    AgencyExistsError,
    AgencyNotFoundError,
    ApiKeyNotFoundError,
    PurposeNotFoundError,
)
from app.agencies.keys import NewApiKey, generate_api_key
from app.agencies.schemas import AgencyCreate, AgencyLimits, PurposeWrite
from app.auth.changes import announce_change
from app.auth.principal import Principal, PurposePolicy
from app.limits.policy import LimitPolicy
from app.models import Agency, AgencyPurpose, ApiKey
from app.models.enums import CitizenField, Operation


def to_principal(agency: Agency, credential_id: str = "") -> Principal:
    return Principal(
        agency_id=agency.id,
        agency_code=agency.code,
        sector=agency.sector,
        purposes={p.code: to_policy(p) for p in agency.purposes},
        credential_id=credential_id,
        limits=LimitPolicy(
            rate=agency.rate_per_second, burst=agency.burst, daily_quota=agency.daily_quota
        ),
    )


def to_policy(purpose: AgencyPurpose) -> PurposePolicy:
    return PurposePolicy(
        code=purpose.code,
        operations=frozenset(Operation(op) for op in purpose.operations),
        # Keep the catalogue order so responses list fields predictably.
        fields=tuple(f for f in CitizenField if f.value in set(purpose.fields)),
        consent_required=purpose.consent_required,
    )


def list_agencies(session: Session) -> Sequence[Agency]:
    return repository.list_agencies(session)


def get_agency(session: Session, code: str) -> Agency:
    agency = repository.get_agency(session, code)
    if agency is None:
        raise AgencyNotFoundError(f"No agency has the code {code!r}.")
    return agency


def create_agency(
    session: Session, spec: AgencyCreate, *, api_key: NewApiKey | None = None
) -> tuple[Agency, NewApiKey]:
    if repository.get_agency(session, spec.code) is not None:
        raise AgencyExistsError(f"An agency with the code {spec.code!r} exists already.")
    agency = repository.add_agency(
        session,
        Agency(
            code=spec.code,
            name=spec.name,
            sector=spec.sector,
            contact_email=spec.contact_email,
            rate_per_second=spec.limits.rate_per_second,
            burst=spec.limits.burst,
            daily_quota=spec.limits.daily_quota,
        ),
    )
    for code, purpose in spec.purposes.items():
        repository.add_purpose(session, _new_purpose(agency.id, code, purpose))
    key = issue_api_key(session, agency, label="initial", api_key=api_key)
    session.expire(agency)
    return get_agency(session, spec.code), key


def issue_api_key(
    session: Session, agency: Agency, *, label: str | None, api_key: NewApiKey | None = None
) -> NewApiKey:
    key = api_key or generate_api_key()
    repository.add_api_key(
        session,
        ApiKey(
            agency_id=agency.id,
            prefix=key.prefix,
            key_hash=key.key_hash,
            label=label,
            created_at=datetime.now(UTC),
        ),
    )
    announce_change(session)  # other processes may have cached the prefix as unknown
    return key


def revoke_api_key(session: Session, prefix: str, *, agency: Agency | None = None) -> ApiKey:
    api_key = repository.get_api_key(session, prefix)
    if api_key is None or (agency is not None and api_key.agency_id != agency.id):
        raise ApiKeyNotFoundError(f"No API key has the prefix {prefix!r}.")
    if api_key.revoked_at is None:
        repository.revoke_api_key(session, api_key, datetime.now(UTC))
        announce_change(session)
    return api_key


def set_purpose(session: Session, agency: Agency, code: str, spec: PurposeWrite) -> AgencyPurpose:
    announce_change(session)
    purpose = repository.get_purpose(session, agency.id, code)
    if purpose is None:
        return repository.add_purpose(session, _new_purpose(agency.id, code, spec))
    purpose.description = spec.description
    purpose.legal_basis = spec.legal_basis
    purpose.operations = sorted(op.value for op in spec.operations)
    purpose.fields = [f.value for f in CitizenField if f in set(spec.fields)]
    purpose.consent_required = spec.consent_required
    session.flush()
    return purpose


def set_limits(session: Session, agency: Agency, limits: AgencyLimits) -> Agency:
    agency.rate_per_second = limits.rate_per_second
    agency.burst = limits.burst
    agency.daily_quota = limits.daily_quota
    session.flush()
    announce_change(session)
    return agency


def remove_purpose(session: Session, agency: Agency, code: str) -> None:
    purpose = repository.get_purpose(session, agency.id, code)
    if purpose is None:
        raise PurposeNotFoundError(f"Agency {agency.code!r} has no purpose {code!r}.")
    repository.delete_purpose(session, purpose)
    announce_change(session)


def _new_purpose(agency_id: int, code: str, spec: PurposeWrite) -> AgencyPurpose:
    return AgencyPurpose(
        agency_id=agency_id,
        code=code,
        description=spec.description,
        legal_basis=spec.legal_basis,
        operations=sorted(op.value for op in spec.operations),
        fields=[f.value for f in CitizenField if f in set(spec.fields)],
        consent_required=spec.consent_required,
    )
