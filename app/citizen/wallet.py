"""The citizen's document wallet: the identity card and every integrated sector record.

As the national ID app (VNeID) shows them: what the document is, its number and
validity, which agency it comes from and when that agency last updated it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from app.db import Database
from app.identity import repository as identity_repository
from app.identity.errors import CitizenNotFoundError
from app.models.records import RecordKind
from app.records import repository as records_repository
from app.records.render import date_text, record_view, title

CARD_TITLES = {
    "cmnd": "Chứng minh nhân dân / People's identity card (9 digits)",
    "cccd_barcode": "Căn cước công dân / Citizen identity card (barcode)",
    "cccd_chip": "Căn cước công dân gắn chip / Chip-based citizen identity card",
    "cccd_2024": "Thẻ căn cước / Identity card",
}
CMND_VALID_UNTIL = date(2024, 12, 31)  # every 9-digit card lapsed at the end of 2024
KIND_ORDER = {kind.value: position for position, kind in enumerate(RecordKind)}


def documents(database: Database, personal_id: str, today: date | None = None) -> dict[str, Any]:
    today = today or datetime.now(UTC).date()
    with database.reader.session() as session:
        citizen_id = records_repository.citizen_id_of(session, personal_id)
        if citizen_id is None:
            raise CitizenNotFoundError("Your record is no longer under this personal ID.")
        cards = identity_repository.cards_of(session, citizen_id)
        records = records_repository.records_of(
            session, [citizen_id], [kind.value for kind in RecordKind]
        )
    listed = [card_document(cards[-1], today)] if cards else []
    records.sort(key=lambda row: KIND_ORDER[str(row["kind"])])  # stable: newest first within
    listed += [record_document(row) for row in records]
    return {"personal_id": personal_id, "documents": listed}


def card_document(card: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The card in use (the last issued): the registry itself is its source."""
    expires = date_text(card["expires_on"])
    kind = str(card["kind"])
    lapsed = (expires is not None and expires < today.isoformat()) or (
        kind == "cmnd" and today > CMND_VALID_UNTIL
    )
    return {
        "kind": "identity_card",
        "title": CARD_TITLES[kind],
        "number": card["number"],
        "status": "expired" if lapsed else "valid",
        "valid_from": date_text(card["issued_on"]),
        "valid_until": expires,
        "data": {"card_kind": kind, "has_chip": bool(card["has_chip"])},
        "source_agency": None,
        "source_agency_name": card["issued_by"],
        "version": None,
        "updated_at": None,
    }


def record_document(row: Mapping[str, Any]) -> dict[str, Any]:
    view = record_view(row)
    return {**view, "title": title(RecordKind(view["kind"]))}
