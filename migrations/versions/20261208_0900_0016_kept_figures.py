"""kept figures: ledger totals and parcel-line facts, kept by triggers, for the reports

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 09:00:00

New tables only, filled from the rows that exist (the ledger, the parcels and their
lines) and from then on kept by triggers on stock_movements, parcel_lines and parcels
(kitlog.kept_figures), in the same transaction as each change. A parcel's lines become
append-only, as the ledger is: they are written once, at allocation, and the figures
follow their inserts only.
"""

import sqlalchemy as sa
from alembic import op

from kitlog.kept_figures import create_triggers, drop_triggers, fill_statements
from kitlog.schema import AppendOnly

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

LINES = AppendOnly("parcel_lines", "parcel_lines are append-only")


def _fk(table, column, target):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade():
    op.create_table(
        "ledger_totals",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("movements", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind = 'loss' OR reason = ''", name=op.f("ck_ledger_totals_reason_only_for_losses")
        ),
        _fk("ledger_totals", "batch_id", "donor_batches"),
        _fk("ledger_totals", "warehouse_id", "warehouses"),
        sa.PrimaryKeyConstraint(
            "batch_id", "warehouse_id", "kind", "reason", name=op.f("pk_ledger_totals")
        ),
    )
    op.create_table(
        "parcel_kit_totals",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("kits", sa.Integer(), nullable=False),
        _fk("parcel_kit_totals", "batch_id", "donor_batches"),
        sa.PrimaryKeyConstraint("batch_id", "status", name=op.f("pk_parcel_kit_totals")),
    )
    op.create_table(
        "batch_household_figures",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("delivered_kits", sa.Integer(), nullable=False),
        _fk("batch_household_figures", "batch_id", "donor_batches"),
        _fk("batch_household_figures", "household_id", "households"),
        sa.PrimaryKeyConstraint(
            "batch_id", "household_id", name=op.f("pk_batch_household_figures")
        ),
    )
    op.create_table(
        "donor_household_figures",
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("live_parcels", sa.Integer(), nullable=False),
        sa.Column("delivered_parcels", sa.Integer(), nullable=False),
        sa.Column("delivered_kits", sa.Integer(), nullable=False),
        sa.Column("collector_parcels", sa.Integer(), nullable=False),
        sa.Column("failed_parcels", sa.Integer(), nullable=False),
        sa.Column("failed_once_parcels", sa.Integer(), nullable=False),
        sa.Column("first_delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_delivered_at", sa.DateTime(timezone=True), nullable=True),
        _fk("donor_household_figures", "donor_id", "donors"),
        _fk("donor_household_figures", "household_id", "households"),
        sa.PrimaryKeyConstraint(
            "donor_id", "household_id", name=op.f("pk_donor_household_figures")
        ),
    )
    op.create_table(
        "donor_delivery_quarters",
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kits", sa.Integer(), nullable=False),
        _fk("donor_delivery_quarters", "donor_id", "donors"),
        sa.PrimaryKeyConstraint("donor_id", "quarter", name=op.f("pk_donor_delivery_quarters")),
    )
    connection = op.get_bind()
    dialect = connection.dialect.name
    # Filled before the triggers exist, inside the migration's transaction.
    for statement in fill_statements(dialect) + create_triggers(dialect):
        connection.exec_driver_sql(statement)
    for statement in LINES.create(dialect):
        op.execute(statement)


def downgrade():
    connection = op.get_bind()
    for statement in LINES.drop(connection.dialect.name):
        op.execute(statement)
    for statement in drop_triggers(connection.dialect.name):
        connection.exec_driver_sql(statement)
    for table in (
        "donor_delivery_quarters",
        "donor_household_figures",
        "batch_household_figures",
        "parcel_kit_totals",
        "ledger_totals",
    ):
        op.drop_table(table)
