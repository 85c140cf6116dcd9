"""initial schema: citizen, household, agency

Revision ID: 0001
Revises:
Create Date: 2026-11-22 15:11:14.752154+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agency",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "sector",
            sa.Enum(
                "ministry",
                "social_insurance",
                "civil_registry",
                "telecom",
                "bank",
                "hospital",
                "local_government",
                name="sector",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency")),
        sa.UniqueConstraint("code", name=op.f("uq_agency_code")),
    )
    op.create_table(
        "household",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("household_number", sa.String(length=12), nullable=False),
        sa.Column("residence_file_number", sa.String(length=20), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("address_2025", sa.String(length=300), nullable=True),
        sa.Column("legacy_ward_code", sa.String(length=5), nullable=True),
        sa.Column("ward_code", sa.String(length=5), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
        sa.UniqueConstraint("household_number", name=op.f("uq_household_household_number")),
    )
    op.create_table(
        "citizen",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("full_name", sa.String(length=100), nullable=False),
        sa.Column("other_names", sa.String(length=200), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column(
            "birth_date_precision",
            sa.Enum(
                "full",
                "year",
                name="birth_date_precision",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "sex",
            sa.Enum("male", "female", name="sex", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("place_of_birth", sa.String(length=300), nullable=False),
        sa.Column("birth_registration_province_code", sa.String(length=3), nullable=False),
        sa.Column("hometown", sa.String(length=300), nullable=True),
        sa.Column("ethnicity", sa.String(length=50), nullable=False),
        sa.Column("religion", sa.String(length=50), nullable=True),
        sa.Column("nationality", sa.String(length=50), nullable=False),
        sa.Column("blood_type", sa.String(length=3), nullable=True),
        sa.Column("legacy_id", sa.String(length=9), nullable=True),
        sa.Column("father_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("mother_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("spouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "guardian_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("permanent_address", sa.String(length=300), nullable=False),
        sa.Column("permanent_address_2025", sa.String(length=300), nullable=True),
        sa.Column("permanent_legacy_ward_code", sa.String(length=5), nullable=True),
        sa.Column("permanent_ward_code", sa.String(length=5), nullable=True),
        sa.Column("temporary_address", sa.String(length=300), nullable=True),
        sa.Column("temporary_address_2025", sa.String(length=300), nullable=True),
        sa.Column("temporary_legacy_ward_code", sa.String(length=5), nullable=True),
        sa.Column("temporary_ward_code", sa.String(length=5), nullable=True),
        sa.Column("current_address", sa.String(length=300), nullable=True),
        sa.Column("current_address_2025", sa.String(length=300), nullable=True),
        sa.Column("current_legacy_ward_code", sa.String(length=5), nullable=True),
        sa.Column("current_ward_code", sa.String(length=5), nullable=True),
        sa.Column("temporarily_absent", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("residence_file_number", sa.String(length=20), nullable=True),
        sa.Column(
            "marital_status",
            sa.Enum(
                "single",
                "married",
                "divorced",
                "widowed",
                name="marital_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("relationship_to_head", sa.String(length=30), nullable=True),
        sa.Column("death_date", sa.Date(), nullable=True),
        sa.Column("disappearance_date", sa.Date(), nullable=True),
        sa.Column("phone", sa.String(length=10), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("social_insurance_number", sa.String(length=10), nullable=True),
        sa.Column("health_insurance_card", sa.String(length=15), nullable=True),
        sa.Column("tax_code", sa.String(length=14), nullable=True),
        sa.Column("vneid_level", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=False,
        ),
        sa.CheckConstraint("length(personal_id) = 12", name=op.f("ck_citizen_personal_id_length")),
        sa.CheckConstraint("vneid_level IN (0, 1, 2)", name=op.f("ck_citizen_vneid_level")),
        sa.ForeignKeyConstraint(
            ["father_id"],
            ["citizen.id"],
            name=op.f("fk_citizen_father_id_citizen"),
            ondelete="SET NULL",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["guardian_id"],
            ["citizen.id"],
            name=op.f("fk_citizen_guardian_id_citizen"),
            ondelete="SET NULL",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_citizen_household_id_household"),
            ondelete="SET NULL",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["mother_id"],
            ["citizen.id"],
            name=op.f("fk_citizen_mother_id_citizen"),
            ondelete="SET NULL",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["spouse_id"],
            ["citizen.id"],
            name=op.f("fk_citizen_spouse_id_citizen"),
            ondelete="SET NULL",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen")),
        sa.UniqueConstraint("personal_id", name=op.f("uq_citizen_personal_id")),
    )
    with op.batch_alter_table("citizen", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_citizen_father_id"), ["father_id"], unique=False)
        batch_op.create_index(
            "ix_citizen_full_name_birth_date", ["full_name", "birth_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_citizen_guardian_id"), ["guardian_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_citizen_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_citizen_legacy_id"), ["legacy_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_citizen_mother_id"), ["mother_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_citizen_phone"), ["phone"], unique=False)
        batch_op.create_index(batch_op.f("ix_citizen_spouse_id"), ["spouse_id"], unique=False)

    op.create_table(
        "identity_card",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "citizen_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "cmnd",
                "cccd_barcode",
                "cccd_chip",
                "cccd_2024",
                name="card_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("has_chip", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen.id"],
            name=op.f("fk_identity_card_citizen_id_citizen"),
            ondelete="CASCADE",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_card")),
    )
    with op.batch_alter_table("identity_card", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_card_citizen_id"), ["citizen_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_identity_card_number"), ["number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("identity_card", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_card_number"))
        batch_op.drop_index(batch_op.f("ix_identity_card_citizen_id"))

    op.drop_table("identity_card")
    with op.batch_alter_table("citizen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_spouse_id"))
        batch_op.drop_index(batch_op.f("ix_citizen_phone"))
        batch_op.drop_index(batch_op.f("ix_citizen_mother_id"))
        batch_op.drop_index(batch_op.f("ix_citizen_legacy_id"))
        batch_op.drop_index(batch_op.f("ix_citizen_household_id"))
        batch_op.drop_index(batch_op.f("ix_citizen_guardian_id"))
        batch_op.drop_index("ix_citizen_full_name_birth_date")
        batch_op.drop_index(batch_op.f("ix_citizen_father_id"))

    op.drop_table("citizen")
    op.drop_table("household")
    op.drop_table("agency")
