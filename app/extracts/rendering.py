"""One chunk of an extract: its citizens' rows with the purpose's fields, and an audit record each.

Rows are rendered by the identity lookup's own renderer (``render_many``), so an
extract row and a lookup of the same citizen under the same purpose agree, sector
records included.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from app.audit.records import AuditEntry, now_text
from app.db import Database
from app.extracts import repository
from app.identity.documents import render_many
from app.identity.fields import columns_for
from app.identity.provinces import PROVINCES
from app.models.enums import CitizenField as F

OPERATION = "extract"


@dataclass(frozen=True, slots=True)
class ExtractContext:
    job_id: str
    agency_code: str
    purpose: str
    fields: tuple[F, ...]  # the job's fields the purpose still allows
    request_id: str | None


@dataclass(frozen=True, slots=True)
class RenderedChunk:
    rows: bytes  # zlib-compressed NDJSON
    processed: int
    written: int
    audit: list[AuditEntry]


def encode_ids(citizen_ids: Sequence[int]) -> bytes:
    return zlib.compress(array("q", citizen_ids).tobytes(), 1)


def decode_ids(data: bytes) -> list[int]:
    ids = array("q")
    ids.frombytes(zlib.decompress(data))
    return ids.tolist()


def ndjson(data: bytes) -> bytes:
    """Stored rows as NDJSON text, newline-terminated."""
    raw = zlib.decompress(data)
    return raw + b"\n" if raw else b""


def render_chunk(
    database: Database, context: ExtractContext, citizen_ids: Sequence[int]
) -> RenderedChunk:
    """The rows of ``citizen_ids`` in order; a citizen no longer in the registry is skipped."""
    columns = columns_for(context.fields)
    with database.reader.session() as session:
        found = repository.citizens_by_ids(session, citizen_ids, columns)
        by_id = {int(row["id"]): row for row in found}
        rows = [by_id[i] for i in citizen_ids if i in by_id]
        documents = render_many(session, rows, context.fields, PROVINCES)
    fields = tuple(field.value for field in context.fields)
    detail = {"extract": context.job_id}
    moment = now_text()  # one chunk, one moment
    audit = [
        AuditEntry(
            operation=OPERATION,
            outcome="disclosed",
            agency_code=context.agency_code,
            purpose=context.purpose,
            personal_id=str(row["personal_id"]),
            fields=fields,
            request_id=context.request_id,
            detail=detail,
            occurred_at=moment,
        )
        for row in rows
    ]
    body = b"\n".join(orjson.dumps(document) for document in documents)
    return RenderedChunk(zlib.compress(body, 1), len(citizen_ids), len(rows), audit)
