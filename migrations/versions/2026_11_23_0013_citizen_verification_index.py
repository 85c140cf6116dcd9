"""citizen verification index: what verification reads of a citizen, by personal ID

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 02:00:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    "personal_id",
    "full_name",
    "birth_date",
    "birth_date_precision",
    "sex",
    "phone",
    "legacy_id",
    "death_date",
    "disappearance_date",
    "id",
]


def upgrade() -> None:
    op.create_index("ix_citizen_verification", "citizen", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_citizen_verification", table_name="citizen")
