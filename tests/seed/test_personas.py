"""The persona catalogue: at least 25 documented identities, each with its purpose."""

from __future__ import annotations

from pathlib import Path

from seed.persona_rows import markdown_table, persona_rows
from seed.personas import PERSONAS

DOCS = Path(__file__).parents[2] / "docs" / "personas.md"
REQUIRED_TAGS = {
    "deceased", "minor", "centenarian", "year-only-birth-date", "rare-diacritics",
    "ethnic-minority", "legacy-cmnd", "duplicated-cmnd", "id-reissued", "recently-moved",
    "married", "divorced", "no-phone", "shared-phone", "vneid-level-2", "foreign-born", "twins",
}  # fmt: skip


def test_catalogue_covers_what_the_issue_asks_for() -> None:
    assert len(PERSONAS) >= 25
    assert len({p.key for p in PERSONAS}) == len(PERSONAS)
    tags = {tag for p in PERSONAS for tag in p.tags}
    assert tags >= REQUIRED_TAGS
    assert all(len(p.purpose) > 20 for p in PERSONAS)


def test_personas_have_stable_numbers_of_the_right_shape() -> None:
    rows = persona_rows()
    ids = [row[1] for row in rows.rows.citizen]
    assert ids == [row[1] for row in persona_rows().rows.citizen]
    assert len(set(ids)) == len(ids)
    by_key = {p.key: row for p, row in zip(PERSONAS, rows.rows.citizen, strict=True)}
    assert by_key["cmnd-duplicate-dong-nai"][14] == by_key["cmnd-duplicate-vung-tau"][14]
    assert 271450001 <= int(by_key["cmnd-duplicate-dong-nai"][14]) <= 271500000
    (history,) = rows.personal_id_history
    assert history[2][3:6] == "091"
    assert by_key["id-reissued"][1][3:6] == "090"


def test_docs_list_every_persona_with_its_current_number() -> None:
    assert markdown_table() in DOCS.read_text(encoding="utf-8")
