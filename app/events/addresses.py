"""Addresses of a move: a ward code (pre-2025 or 2025) and a street, in both unit systems."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from app.events.errors import UnknownWardError
from seed.reference import wards


@dataclass(frozen=True, slots=True)
class Address:
    address: str  # as written in the pre-2025 units, when the legacy ward is known
    address_2025: str
    legacy_ward_code: str | None
    ward_code: str

    def document(self) -> dict[str, str | None]:
        """The shape of an address in the citizen document."""
        return {
            "address": self.address,
            "address_2025": self.address_2025,
            "legacy_ward_code": self.legacy_ward_code,
            "ward_code": self.ward_code,
        }


@cache
def _wards_2025() -> dict[str, str]:
    table = wards()
    return dict(zip(table.codes_2025.tolist(), table.text_2025.tolist(), strict=True))


def resolve(street: str, legacy_ward_code: str | None, ward_code: str | None) -> Address:
    """Both forms of the address; with only a 2025 ward, the 2025 form stands for both.

    Since 1 July 2025 residence is registered in the 2025 units: a pre-2025 address
    exists only when the old ward is given, and its 2025 ward is then derived from it.
    """
    if (legacy_ward_code is None) == (ward_code is None):
        raise UnknownWardError("Give exactly one of legacy_ward_code and ward_code.")
    table = wards()
    if legacy_ward_code is not None:
        index = table.index.get(legacy_ward_code)
        if index is None:
            raise UnknownWardError(f"No pre-2025 ward has the code {legacy_ward_code!r}.")
        return Address(
            address=f"{street}, {table.legacy_text[index]}",
            address_2025=f"{street}, {table.text_2025[index]}",
            legacy_ward_code=legacy_ward_code,
            ward_code=str(table.codes_2025[index]),
        )
    assert ward_code is not None
    text = _wards_2025().get(ward_code)
    if text is None:
        raise UnknownWardError(f"No 2025 ward has the code {ward_code!r}.")
    return Address(
        address=f"{street}, {text}",
        address_2025=f"{street}, {text}",
        legacy_ward_code=None,
        ward_code=ward_code,
    )
