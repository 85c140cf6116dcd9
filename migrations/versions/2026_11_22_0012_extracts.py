"""extracts: cohort extract jobs and their chunks

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 23:10:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "extract_job",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agency_code", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("cohort", sa.JSON(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "queued",
                "running",
                "done",
                "cancelled",
                "failed",
                name="extract_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_processed", sa.Integer(), nullable=False),
        sa.Column("rows_written", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extract_job")),
    )
    with op.batch_alter_table("extract_job", schema=None) as batch_op:
        batch_op.create_index(
            "ix_extract_job_agency_code_created_at", ["agency_code", "created_at"], unique=False
        )

    op.create_table(
        "extract_chunk",
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
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
        sa.Column("citizen_ids", sa.LargeBinary(), nullable=False),
        sa.Column("rows", sa.LargeBinary(), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["extract_job.id"],
            name=op.f("fk_extract_chunk_job_id_extract_job"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "number", name=op.f("pk_extract_chunk")),
    )
    with op.batch_alter_table("extract_chunk", schema=None) as batch_op:
        batch_op.create_index(
            "ix_extract_chunk_state_lease_until", ["state", "lease_until"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("extract_chunk", schema=None) as batch_op:
        batch_op.drop_index("ix_extract_chunk_state_lease_until")

    op.drop_table("extract_chunk")
    with op.batch_alter_table("extract_job", schema=None) as batch_op:
        batch_op.drop_index("ix_extract_job_agency_code_created_at")

    op.drop_table("extract_job")
