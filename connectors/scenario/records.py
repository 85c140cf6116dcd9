"""Sensible sector records for ``push_record`` steps: each kind's number format and data.

A step names the kind and may override any part (``record:``); what it leaves out
comes from here. Numbers are fresh on every run, so a push makes a new version
(a renewed licence) rather than an unchanged copy; the province digits are the
citizen's own (a personal ID starts with the code of the province of birth
registration). Formats and data fields are docs/records.md's.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from app.models.records import RecordKind
from connectors.scenario.payloads import RecordPart


def default_record(
    kind: RecordKind, personal_id: str, today: date, rng: random.Random
) -> dict[str, Any]:
    """A valid record of ``kind`` for the citizen, issued today (holder left to the caller)."""
    province = personal_id[1:3]  # "001…" → "01"

    def digits(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    year_end = date(today.year, 12, 31).isoformat()
    records: dict[RecordKind, dict[str, Any]] = {
        RecordKind.DRIVING_LICENCE: {
            "number": province + digits(10),
            "valid_from": today.isoformat(),
            "data": {"classes": ["A1", "B"], "issued_by": "Sở Giao thông Vận tải Tỉnh Demo"},
        },
        RecordKind.HEALTH_INSURANCE: {
            "number": f"DN4{province}{digits(10)}",
            "valid_from": date(today.year, 1, 1).isoformat(),
            "valid_until": year_end,
            "data": {"registered_facility": "Bệnh viện Đa khoa Hồng Lĩnh"},
        },
        RecordKind.SOCIAL_INSURANCE: {
            "number": province + digits(8),
            "valid_from": today.isoformat(),
            "data": {"participation": "voluntary", "contribution_months": 1},
        },
        RecordKind.VEHICLE_REGISTRATION: {
            "number": digits(7),
            "valid_from": today.isoformat(),
            "data": {
                "plate": f"{rng.randint(11, 99)}-B1 {digits(3)}.{digits(2)}",
                "vehicle_type": "motorbike",
                "make": "Honda",
                "model": "Wave Alpha",
                "colour": "đỏ",
                "year": today.year,
            },
        },
        RecordKind.TAX_REGISTRATION: {
            "number": personal_id,  # since July 2025 the personal ID is the tax code
            "valid_from": today.isoformat(),
            "data": {"tax_office": "Thuế cơ sở Tỉnh Demo"},
        },
        RecordKind.VACCINATION: {
            "number": f"VX-0{province}-{today.year}-{digits(8)}",
            "valid_from": today.isoformat(),
            "data": {
                "vaccine": "Vaxigrip Tetra",
                "disease": "influenza",
                "dose": 1,
                "facility": "Bệnh viện Đa khoa Hồng Lĩnh",
            },
        },
    }
    return {"status": "valid", **records[kind]}


def record_body(
    kind: RecordKind,
    personal_id: str,
    holder: dict[str, str],
    given: RecordPart | None,
    today: date,
    rng: random.Random,
) -> dict[str, Any]:
    """The body of ``PUT /v1/citizens/{id}/records/{kind}``: the default, then what is given."""
    body = {"holder": holder, **default_record(kind, personal_id, today, rng)}
    if given is not None:
        body.update(given.model_dump(mode="json", exclude_none=True))
    return body
