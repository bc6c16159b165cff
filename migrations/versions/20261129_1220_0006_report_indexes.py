"""indexes for the donor report and the stock pages

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 12:20:00

- parcel_lines (batch_id, parcel_id, kits): a donor's or a batch's lines without reading
  every line (the primary key starts with parcel_id); covering, so read from the index.
- parcel_events (parcel_id, status, id) replaces (parcel_id): "has this parcel ever
  failed" and "its last delivered event" are each one index probe.
- stock_movements (batch_id, reason, quantity) where kind = 'loss': losses by reason.
- stock_movements (warehouse_id, created_at, batch_id, kind, quantity) replaces
  (warehouse_id, created_at): the stock report of a warehouse is read from the index.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

LOSS = sa.text("kind = 'loss'")


def upgrade():
    op.create_index(
        "ix_parcel_lines_batch", "parcel_lines", ["batch_id", "parcel_id", "kits"], unique=False
    )
    op.create_index(
        "ix_parcel_events_parcel_status",
        "parcel_events",
        ["parcel_id", "status", "id"],
        unique=False,
    )
    op.drop_index("ix_parcel_events_parcel_id", table_name="parcel_events")
    op.create_index(
        "ix_stock_movements_loss",
        "stock_movements",
        ["batch_id", "reason", "quantity"],
        unique=False,
        sqlite_where=LOSS,
        postgresql_where=LOSS,
    )
    op.create_index(
        "ix_stock_movements_warehouse_report",
        "stock_movements",
        ["warehouse_id", "created_at", "batch_id", "kind", "quantity"],
        unique=False,
    )
    op.drop_index("ix_stock_movements_warehouse_created", table_name="stock_movements")


def downgrade():
    op.create_index(
        "ix_stock_movements_warehouse_created",
        "stock_movements",
        ["warehouse_id", "created_at"],
        unique=False,
    )
    op.drop_index("ix_stock_movements_warehouse_report", table_name="stock_movements")
    op.drop_index("ix_stock_movements_loss", table_name="stock_movements")
    op.create_index("ix_parcel_events_parcel_id", "parcel_events", ["parcel_id"], unique=False)
    op.drop_index("ix_parcel_events_parcel_status", table_name="parcel_events")
    op.drop_index("ix_parcel_lines_batch", table_name="parcel_lines")
