"""Keyword-only factories for test rows."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine, select, update

from app.models import Citizen, MaritalStatus, Sex


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


def marry(engine: Engine, husband: str, wife: str) -> None:
    """Link two committed citizens as spouses, both married (committed)."""
    with engine.begin() as connection:
        ids = dict(
            connection.execute(
                select(Citizen.personal_id, Citizen.id).where(
                    Citizen.personal_id.in_([husband, wife])
                )
            ).all()
        )
        for one, other in ((husband, wife), (wife, husband)):
            connection.execute(
                update(Citizen)
                .where(Citizen.id == ids[one])
                .values(spouse_id=ids[other], marital_status=MaritalStatus.MARRIED)
            )
