"""agency limits

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 15:52:48.755182+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Never rebuild the table: on SQLite, dropping the old copy of ``agency`` would
    # cascade to its purposes and API keys. Plain ALTER TABLE … ADD COLUMN suffices.
    with op.batch_alter_table("agency", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("rate_per_second", sa.Double(), server_default=sa.text("50"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("burst", sa.Integer(), server_default=sa.text("100"), nullable=False)
        )
        batch_op.add_column(sa.Column("daily_quota", sa.Integer(), nullable=True))


def downgrade() -> None:
    # SQLite 3.35+ drops these plain columns in place (see upgrade for why not rebuild).
    with op.batch_alter_table("agency", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("daily_quota")
        batch_op.drop_column("burst")
        batch_op.drop_column("rate_per_second")
