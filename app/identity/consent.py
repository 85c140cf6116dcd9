"""Consent checks for purposes that need the citizen's consent."""

from __future__ import annotations

from collections.abc import Iterable

from app.auth.errors import ConsentRequiredError
from app.auth.principal import Principal, PurposePolicy
from app.citizen.service import consent_is_live
from app.db import Database


def without_consent(
    database: Database, principal: Principal, policy: PurposePolicy, personal_ids: Iterable[str]
) -> set[str]:
    """Those of ``personal_ids`` who have given no live consent for this purpose."""
    if not policy.consent_required:
        return set()
    with database.session_factory() as session:
        return {
            personal_id
            for personal_id in set(personal_ids)
            if not consent_is_live(session, personal_id, principal.agency_code, policy.code)
        }


def consent_refusal(policy: PurposePolicy) -> ConsentRequiredError:
    return ConsentRequiredError(
        f"Purpose {policy.code!r} needs the citizen's live consent, and none is recorded. "
        "The citizen can give it with POST /v1/me/consents."
    )
