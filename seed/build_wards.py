"""Regenerate ``seed/data/wards.csv``: every legacy ward with its 2025 unit.

Run ``python -m seed.build_wards`` after upgrading ``vietnamadminunits``. Converting
all ~10,000 legacy wards takes a few seconds; doing it on every seed run would cost
a tenth of the one-million-citizen budget, so the table is generated once and committed.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from vietnamadminunits import convert_address
from vietnamadminunits.database import query

WARDS_CSV = Path(__file__).parent / "data" / "wards.csv"
COLUMNS = (
    "legacy_ward_code",
    "legacy_ward",
    "legacy_ward_type",
    "legacy_district",
    "legacy_province_code",
    "legacy_province",
    "ward_code",
    "ward",
    "province_code",
    "province",
)


def build_rows() -> list[dict[str, str]]:
    legacy_wards = query(
        "SELECT wardCode, ward, wardType, district, provinceCode, province "
        "FROM admin_units_legacy ORDER BY wardCode"
    )
    rows: list[dict[str, str]] = []
    for legacy in legacy_wards:
        # Island districts have no ward level; nobody is seeded there.
        if not legacy["ward"]:
            continue
        # Without a street the converter picks the default 2025 ward of a split
        # legacy ward, and never geocodes (which would need the network).
        unit = convert_address(f"{legacy['ward']}, {legacy['district']}, {legacy['province']}")
        if unit.OldAdminUnit.ward_code != legacy["wardCode"] or not unit.ward_code:
            raise RuntimeError(f"cannot convert legacy ward {legacy['wardCode']}")
        rows.append(
            {
                "legacy_ward_code": legacy["wardCode"],
                "legacy_ward": legacy["ward"],
                "legacy_ward_type": legacy["wardType"],
                "legacy_district": legacy["district"],
                "legacy_province_code": legacy["provinceCode"].zfill(3),
                "legacy_province": legacy["province"],
                "ward_code": unit.ward_code,
                "ward": unit.ward,
                "province_code": unit.province_code,
                "province": unit.province,
            }
        )
    return rows


def main() -> None:
    rows = build_rows()
    with WARDS_CSV.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} wards to {WARDS_CSV}", file=sys.stderr)


if __name__ == "__main__":
    main()
