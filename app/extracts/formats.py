"""Extract rows as they leave: NDJSON lines as stored, or CSV with nested fields flattened.

CSV flattening: an object of a known shape becomes one column per key, named
``field.key`` (``permanent_address.ward_code``); a list (cards, children, sector
record lists) or an object of another shape becomes one cell holding its JSON;
null becomes an empty cell, true/false stay ``true``/``false``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson

from app.models.enums import CitizenField as F

ADDRESS_KEYS = ("address", "address_2025", "legacy_ward_code", "ward_code")
PERSON_KEYS = ("personal_id", "full_name", "nationality")
NESTED_KEYS: dict[str, tuple[str, ...]] = {
    F.BIRTH_REGISTRATION_PROVINCE.value: ("code", "name"),
    F.PERMANENT_ADDRESS.value: ADDRESS_KEYS,
    F.TEMPORARY_ADDRESS.value: ADDRESS_KEYS,
    F.CURRENT_ADDRESS.value: ADDRESS_KEYS,
    F.FATHER.value: PERSON_KEYS,
    F.MOTHER.value: PERSON_KEYS,
    F.SPOUSE.value: PERSON_KEYS,
    F.GUARDIAN.value: PERSON_KEYS,
    F.HOUSEHOLD.value: ("household_number", "relationship_to_head"),
}


def csv_columns(fields: Sequence[str]) -> list[str]:
    columns: list[str] = []
    for name in fields:
        keys = NESTED_KEYS.get(name)
        columns += [f"{name}.{key}" for key in keys] if keys else [name]
    return columns


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return value


def _flat(row: dict[str, Any], fields: Sequence[str]) -> list[Any]:
    cells: list[Any] = []
    for name in fields:
        value = row.get(name)
        keys = NESTED_KEYS.get(name)
        if keys is None:
            cells.append(_cell(value))
        elif isinstance(value, dict):
            cells += [_cell(value.get(key)) for key in keys]
        else:
            cells += [""] * len(keys)
    return cells


class _Lines:
    """A file for ``csv.writer`` that keeps each line as UTF-8 bytes until taken."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, text: str) -> int:
        self.parts.append(text.encode())
        return len(text)

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def csv_blocks(blocks: Iterable[bytes], fields: Sequence[str]) -> Iterator[bytes]:
    """A header, then one CSV block per NDJSON block (one stored chunk)."""
    lines = _Lines()
    writer = csv.writer(lines, lineterminator="\n")
    writer.writerow(csv_columns(fields))
    yield lines.take()
    for block in blocks:
        for line in block.splitlines():
            writer.writerow(_flat(orjson.loads(line), fields))
        yield lines.take()


def narrowed(blocks: Iterable[bytes], fields: Sequence[str]) -> Iterator[bytes]:
    """NDJSON blocks with only ``fields`` (a policy narrowed since the rows were rendered)."""
    for block in blocks:
        lines = [
            orjson.dumps({name: row[name] for name in fields if name in row})
            for row in map(orjson.loads, block.splitlines())
        ]
        yield b"\n".join(lines) + b"\n" if lines else b""
