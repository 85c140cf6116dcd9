"""cleaning jobs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 17:44:53.643256+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cleaning_job",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agency_code", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("sector", sa.String(length=24), nullable=False),
        sa.Column("input_format", sa.String(length=8), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("checked", sa.JSON(), nullable=False),
        sa.Column("correctable", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "receiving",
                "queued",
                "running",
                "done",
                "cancelled",
                "failed",
                name="job_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("rows_received", sa.Integer(), nullable=False),
        sa.Column("rows_processed", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cleaning_job")),
    )
    with op.batch_alter_table("cleaning_job", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cleaning_job_agency_code_created_at", ["agency_code", "created_at"], unique=False
        )

    op.create_table(
        "cleaning_chunk",
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("first_row", sa.Integer(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "claimed",
                "done",
                name="chunk_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("input", sa.LargeBinary(), nullable=False),
        sa.Column("results", sa.LargeBinary(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["cleaning_job.id"],
            name=op.f("fk_cleaning_chunk_job_id_cleaning_job"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "number", name=op.f("pk_cleaning_chunk")),
    )
    with op.batch_alter_table("cleaning_chunk", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cleaning_chunk_state_lease_until", ["state", "lease_until"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("cleaning_chunk", schema=None) as batch_op:
        batch_op.drop_index("ix_cleaning_chunk_state_lease_until")

    op.drop_table("cleaning_chunk")
    with op.batch_alter_table("cleaning_job", schema=None) as batch_op:
        batch_op.drop_index("ix_cleaning_job_agency_code_created_at")

    op.drop_table("cleaning_job")
