"""audit subject index in buckets of a million records

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 19:00:00+00:00

The citizen index of the audit log was keyed (personal_id, seq): every entry
landed at a random place in one tree that grows with the log, so filing it got
slower as the log grew. Keyed (bucket, personal_id, seq), with bucket = seq //
1,000,000, new entries go to the newest bucket's small subtree.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _set_aside_old_table() -> None:
    op.rename_table("audit_subject", "audit_subject_old")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE audit_subject_old RENAME CONSTRAINT pk_audit_subject "
            "TO pk_audit_subject_old"
        )


def upgrade() -> None:
    _set_aside_old_table()
    op.create_table(
        "audit_subject",
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("bucket", "personal_id", "seq", name=op.f("pk_audit_subject")),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO audit_subject (bucket, personal_id, seq) "
        "SELECT seq / 1000000, personal_id, seq FROM audit_subject_old"
    )
    op.drop_table("audit_subject_old")


def downgrade() -> None:
    _set_aside_old_table()
    op.create_table(
        "audit_subject",
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("personal_id", "seq", name=op.f("pk_audit_subject")),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO audit_subject (personal_id, seq) "
        "SELECT personal_id, seq FROM audit_subject_old"
    )
    op.drop_table("audit_subject_old")
