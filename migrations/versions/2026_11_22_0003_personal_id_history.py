"""personal_id_history: numbers withdrawn after a correction

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 15:29:26.734408+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "personal_id_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "citizen_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("previous_personal_id", sa.String(length=12), nullable=False),
        sa.Column("replaced_on", sa.Date(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "wrong_birth_year",
                "wrong_sex",
                "wrong_registration_place",
                name="personal_id_correction",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen.id"],
            name=op.f("fk_personal_id_history_citizen_id_citizen"),
            ondelete="CASCADE",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_id_history")),
        sa.UniqueConstraint(
            "previous_personal_id", name=op.f("uq_personal_id_history_previous_personal_id")
        ),
    )
    with op.batch_alter_table("personal_id_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_personal_id_history_citizen_id"), ["citizen_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("personal_id_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_personal_id_history_citizen_id"))

    op.drop_table("personal_id_history")
