"""What a population table can be grouped and filtered by, and the categories of each.

Every dimension has a closed list of categories that does not depend on the data (a
category nobody falls in is a zero cell), and names the citizen field a purpose must
hold to use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from app.models.enums import CitizenField, MaritalStatus, Sex
from app.statistics import geography


class Dimension(StrEnum):
    PROVINCE = "province"  # permanent residence, the 63 provinces before July 2025
    PROVINCE_2025 = "province_2025"  # the 34 provinces since July 2025
    WARD = "ward"  # legacy ward (3-level units)
    WARD_2025 = "ward_2025"  # 2025 ward (2-level units)
    SEX = "sex"
    AGE_BAND = "age_band"
    ETHNICITY = "ethnicity"
    MARITAL_STATUS = "marital_status"
    VNEID_LEVEL = "vneid_level"


GEOGRAPHY = (Dimension.PROVINCE, Dimension.WARD, Dimension.PROVINCE_2025, Dimension.WARD_2025)

# The citizen field a purpose must list to group or filter by each dimension.
FIELDS: Mapping[Dimension, CitizenField] = {
    Dimension.PROVINCE: CitizenField.PERMANENT_ADDRESS,
    Dimension.PROVINCE_2025: CitizenField.PERMANENT_ADDRESS,
    Dimension.WARD: CitizenField.PERMANENT_ADDRESS,
    Dimension.WARD_2025: CitizenField.PERMANENT_ADDRESS,
    Dimension.SEX: CitizenField.SEX,
    Dimension.AGE_BAND: CitizenField.BIRTH_DATE,
    Dimension.ETHNICITY: CitizenField.ETHNICITY,
    Dimension.MARITAL_STATUS: CitizenField.MARITAL_STATUS,
    Dimension.VNEID_LEVEL: CitizenField.VNEID_LEVEL,
}


class AgeBands(StrEnum):
    """Age groupings; each band is a union of 5-year bands, the last one open (90+ / 65+)."""

    FIVE = "5"
    TEN = "10"
    BROAD = "broad"  # children, youth, working age, elderly


LOWER_BOUNDS: Mapping[AgeBands, tuple[int, ...]] = {
    AgeBands.FIVE: tuple(range(0, 95, 5)),
    AgeBands.TEN: tuple(range(0, 100, 10)),
    AgeBands.BROAD: (0, 15, 25, 65),
}


class VitalStatus(StrEnum):
    ALIVE = "alive"
    DECEASED = "deceased"
    MISSING = "missing"
    ANY = "any"


# The 54 ethnic groups recognised in Vietnam (spelt as the registry spells them);
# any other value recorded is counted as ``other``.
ETHNIC_GROUPS = (
    "Kinh", "Tày", "Thái", "Mường", "Khmer", "Hoa", "Nùng", "H'Mông", "Dao", "Gia Rai",
    "Ê Đê", "Ba Na", "Sán Chay", "Chăm", "Cơ Ho", "Xơ Đăng", "Sán Dìu", "Hrê", "Raglai",
    "M'Nông", "Thổ", "Xtiêng", "Khơ Mú", "Bru-Vân Kiều", "Cơ Tu", "Giáy", "Tà Ôi", "Mạ",
    "Giẻ Triêng", "Co", "Chơ Ro", "Xinh Mun", "Hà Nhì", "Chu Ru", "Lào", "La Chí", "Kháng",
    "Phù Lá", "La Hủ", "La Ha", "Pà Thẻn", "Lự", "Ngái", "Chứt", "Lô Lô", "Mảng", "Cơ Lao",
    "Bố Y", "Cống", "Si La", "Pu Péo", "Rơ Măm", "Brâu", "Ơ Đu",
)  # fmt: skip
OTHER_ETHNICITY = "other"
VNEID_LABELS = {"0": "no VNeID account", "1": "VNeID level 1", "2": "VNeID level 2"}


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    label: str


def age_band_code(lower: int, upper: int | None) -> str:
    return f"{lower}+" if upper is None else f"{lower}-{upper}"


def age_categories(bands: AgeBands) -> list[Category]:
    bounds = LOWER_BOUNDS[bands]
    uppers: list[int | None] = [b - 1 for b in bounds[1:]] + [None]
    categories = []
    for lower, upper in zip(bounds, uppers, strict=True):
        code = age_band_code(lower, upper)
        label = f"{lower} and over" if upper is None else f"{lower} to {upper}"
        categories.append(Category(code, label))
    return categories


def vocabulary(dimension: Dimension) -> list[str] | None:
    """Every code a filter on a non-geographic dimension may name (None: geographic)."""
    if dimension is Dimension.SEX:
        return [s.value for s in Sex]
    if dimension is Dimension.MARITAL_STATUS:
        return [m.value for m in MaritalStatus]
    if dimension is Dimension.ETHNICITY:
        return [*ETHNIC_GROUPS, OTHER_ETHNICITY]
    if dimension is Dimension.VNEID_LEVEL:
        return list(VNEID_LABELS)
    return None


def categories(
    dimension: Dimension,
    *,
    bands: AgeBands,
    filters: Mapping[Dimension, tuple[str, ...]],
) -> list[Category]:
    """The categories of ``dimension`` in a table restricted by ``filters``."""
    if dimension is Dimension.AGE_BAND:
        return age_categories(bands)
    if dimension in GEOGRAPHY:
        geo = {name.value: codes for name, codes in filters.items() if name in GEOGRAPHY}
        return [
            Category(code, geography.label(dimension.value, code))
            for code in geography.codes_of(dimension.value, geo)
        ]
    codes = vocabulary(dimension) or []
    wanted = filters.get(dimension)
    if wanted is not None:
        codes = [code for code in codes if code in wanted]
    if dimension is Dimension.VNEID_LEVEL:
        return [Category(code, VNEID_LABELS[code]) for code in codes]
    if dimension is Dimension.ETHNICITY:
        return [
            Category(code, "any other recorded value" if code == OTHER_ETHNICITY else code)
            for code in codes
        ]
    return [Category(code, code) for code in codes]
