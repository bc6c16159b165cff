"""household cards, collectors, distribution sites; rounds' verification and mode

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 17:00:00

New tables for the cards, collectors and sites. The rounds made before keep working as
they did: verification `none`, mode `door`. New columns of tables that others refer to
are added with ALTER TABLE … ADD COLUMN, constraint and all, in the one form SQLite and
PostgreSQL both take (a batch copy would have to drop tables others refer to).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _add(table, column, definition):
    op.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")


def upgrade():
    op.create_table(
        "household_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("short_code", sa.String(length=12), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_household_cards_household_id_households"),
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_household_cards_issued_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"], ["users.id"], name=op.f("fk_household_cards_replaced_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_cards")),
        sa.UniqueConstraint("token", name=op.f("uq_household_cards_token")),
        sa.UniqueConstraint("short_code", name=op.f("uq_household_cards_short_code")),
    )
    op.create_index(op.f("ix_household_cards_household_id"), "household_cards", ["household_id"])
    op.create_index(
        "uq_household_cards_current",
        "household_cards",
        ["household_id"],
        unique=True,
        sqlite_where=sa.text("replaced_at IS NULL"),
        postgresql_where=sa.text("replaced_at IS NULL"),
    )
    op.create_table(
        "collectors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("relation", sa.String(length=40), nullable=False),
        sa.Column("nik", sa.String(length=16), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deactivated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "nik IS NULL OR length(nik) = 16", name=op.f("ck_collectors_nik_length")
        ),
        sa.CheckConstraint(
            "active OR deactivated_at IS NOT NULL", name=op.f("ck_collectors_deactivated_dated")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_collectors_household_id_households")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_collectors_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["deactivated_by_id"], ["users.id"], name=op.f("fk_collectors_deactivated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collectors")),
    )
    op.create_index(op.f("ix_collectors_household_id"), "collectors", ["household_id"])
    op.create_table(
        "distribution_sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("place_code", sa.String(length=13), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "end_date >= start_date", name=op.f("ck_distribution_sites_dates_in_order")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_distribution_sites_round_id_rounds")
        ),
        sa.ForeignKeyConstraint(
            ["place_code"], ["places.code"], name=op.f("fk_distribution_sites_place_code_places")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_distribution_sites_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distribution_sites")),
    )
    op.create_index(op.f("ix_distribution_sites_round_id"), "distribution_sites", ["round_id"])

    _add(
        "rounds",
        "verification",
        "VARCHAR(8) DEFAULT 'none' NOT NULL"
        " CONSTRAINT ck_rounds_verification CHECK (verification IN ('none', 'card'))",
    )
    _add(
        "rounds",
        "mode",
        "VARCHAR(8) DEFAULT 'door' NOT NULL"
        " CONSTRAINT ck_rounds_mode CHECK (mode IN ('door', 'site'))",
    )
    _add(
        "parcels",
        "flag",
        "VARCHAR(24) CONSTRAINT ck_parcels_flag CHECK (flag IS NULL OR flag IN ('card_mismatch'))",
    )
    _add(
        "parcels",
        "recipient_kind",
        "VARCHAR(12) CONSTRAINT ck_parcels_recipient_kind"
        " CHECK (recipient_kind IS NULL OR recipient_kind IN ('head', 'collector', 'other'))",
    )
    _add("parcels", "flagged_at", "TIMESTAMP WITH TIME ZONE" if _pg() else "DATETIME")
    _add(
        "manifests",
        "site_id",
        "INTEGER CONSTRAINT fk_manifests_site_id_distribution_sites"
        " REFERENCES distribution_sites (id)",
    )
    op.create_index(op.f("ix_manifests_site_id"), "manifests", ["site_id"])
    _add(
        "scans",
        "recipient_kind",
        "VARCHAR(12) CONSTRAINT ck_scans_recipient_kind"
        " CHECK (recipient_kind IS NULL OR recipient_kind IN ('head', 'collector', 'other'))",
    )
    _add(
        "scans",
        "collector_id",
        "INTEGER CONSTRAINT fk_scans_collector_id_collectors REFERENCES collectors (id)",
    )
    _add(
        "scans",
        "card_id",
        "INTEGER CONSTRAINT fk_scans_card_id_household_cards REFERENCES household_cards (id)",
    )


def _pg():
    return op.get_bind().dialect.name == "postgresql"


def downgrade():
    from kitlog.schema import drop_referencing_columns

    drop_referencing_columns(
        op,
        "scans",
        {
            "card_id": "fk_scans_card_id_household_cards",
            "collector_id": "fk_scans_collector_id_collectors",
        },
    )
    op.drop_column("scans", "recipient_kind")
    op.drop_index(op.f("ix_manifests_site_id"), table_name="manifests")
    drop_referencing_columns(
        op, "manifests", {"site_id": "fk_manifests_site_id_distribution_sites"}
    )
    op.drop_column("parcels", "recipient_kind")
    op.drop_column("parcels", "flagged_at")
    op.drop_column("parcels", "flag")
    op.drop_column("rounds", "mode")
    op.drop_column("rounds", "verification")
    op.drop_index(op.f("ix_distribution_sites_round_id"), table_name="distribution_sites")
    op.drop_table("distribution_sites")
    op.drop_index(op.f("ix_collectors_household_id"), table_name="collectors")
    op.drop_table("collectors")
    op.drop_index("uq_household_cards_current", table_name="household_cards")
    op.drop_index(op.f("ix_household_cards_household_id"), table_name="household_cards")
    op.drop_table("household_cards")
