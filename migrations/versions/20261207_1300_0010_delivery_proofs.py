"""delivery_proofs and rounds.proof: a signature or photo kept with a delivery

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 13:00:00

- rounds.proof: what a delivery of the round must carry (none, signature, photo); the
  rounds already made ask for none.
- delivery_proofs: at most one per parcel, stored by the scan that delivered it.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    # ADD COLUMN with its CHECK, in the one form SQLite and PostgreSQL both take: a batch
    # copy of rounds would have to drop a table that parcels refer to.
    op.execute(
        "ALTER TABLE rounds ADD COLUMN proof VARCHAR(16) DEFAULT 'none' NOT NULL"
        " CONSTRAINT ck_rounds_proof CHECK (proof IN ('none', 'signature', 'photo'))"
    )
    op.create_table(
        "delivery_proofs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parcel_id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('signature', 'photo')", name=op.f("ck_delivery_proofs_kind")
        ),
        sa.CheckConstraint(
            "content_type IN ('image/png', 'image/jpeg')",
            name=op.f("ck_delivery_proofs_content_type"),
        ),
        sa.CheckConstraint(
            "size >= 1 AND size <= 307200", name=op.f("ck_delivery_proofs_size_range")
        ),
        sa.ForeignKeyConstraint(
            ["parcel_id"], ["parcels.id"], name=op.f("fk_delivery_proofs_parcel_id_parcels")
        ),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_delivery_proofs_scan_id_scans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_proofs")),
        sa.UniqueConstraint("parcel_id", name=op.f("uq_delivery_proofs_parcel_id")),
        sa.UniqueConstraint("scan_id", name=op.f("uq_delivery_proofs_scan_id")),
    )


def downgrade():
    op.drop_table("delivery_proofs")
    op.drop_column("rounds", "proof")
