"""Identity lookup: one indexed select, a policy filter, related rows only when allowed."""

from __future__ import annotations

from app.auth.principal import PurposePolicy
from app.db import Database
from app.identity import repository
from app.identity.documents import Document, render
from app.identity.errors import CitizenNotFoundError, InvalidLegacyIdError
from app.identity.fields import columns_for
from app.identity.personal_id import is_legacy_id, parse_personal_id
from app.identity.provinces import PROVINCES

NOT_FOUND = "No citizen in the registry has this personal ID."


def lookup_citizen(database: Database, personal_id: str, policy: PurposePolicy) -> Document:
    """The citizen's document with the fields ``policy`` allows, nothing more."""
    if not (len(personal_id) == 12 and personal_id.isascii() and personal_id.isdigit()):
        personal_id = parse_personal_id(personal_id).number  # 422 naming the broken rule
    with database.reader.session() as session:
        row = repository.citizen_by_personal_id(session, personal_id, columns_for(policy.fields))
        if row is None:
            # Twelve digits can still be impossible (no such province): 422, not 404.
            parse_personal_id(personal_id)
            raise CitizenNotFoundError(NOT_FOUND)
        return render(session, row, policy.fields, PROVINCES)


def lookup_by_legacy_id(
    database: Database, legacy_id: str, policy: PurposePolicy
) -> list[tuple[str, Document]]:
    """Every citizen holding an old 9-digit CMND number (a few numbers were issued twice)."""
    if not is_legacy_id(legacy_id):
        raise InvalidLegacyIdError(
            "An old identity card (CMND) number has exactly 9 digits, e.g. 271450123."
        )
    with database.reader.session() as session:
        rows = repository.citizens_by_legacy_id(session, legacy_id, columns_for(policy.fields))
        if not rows:
            raise CitizenNotFoundError("No citizen in the registry holds this old ID number.")
        return [
            (row["personal_id"], render(session, row, policy.fields, PROVINCES)) for row in rows
        ]
