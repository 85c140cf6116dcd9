"""Keyword-only factories for test rows."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.models import Citizen, Sex


def make_citizen(**overrides: Any) -> Citizen:
    fields: dict[str, Any] = {
        "personal_id": "001084000999",
        "full_name": "Nguyễn Văn An",
        "birth_date": date(1984, 3, 9),
        "sex": Sex.MALE,
        "place_of_birth": "Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội",
        "birth_registration_province_code": "001",
        "ethnicity": "Kinh",
        "permanent_address": "Số 12 ngõ 3, Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội",
    }
    fields.update(overrides)
    return Citizen(**fields)
