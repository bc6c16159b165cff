"""parcels.delivered_at and parcels.failed_once: the donor report reads facts, not events

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 13:00:00

- parcels.delivered_at: when the kit was handed over (the delivering scan's device time,
  else the time the delivery was recorded); set while the parcel is delivered.
- parcels.failed_once: the parcel failed at least once.

Both are recorded where the status changes (Parcel.record_status); the backfill gives the
values the donor report computed from parcel_events and scans: the last delivered event
(by id), its scan's scanned_at else its created_at, else the parcel's updated_at.
Plain ALTER TABLE ADD COLUMN on SQLite: a batch copy of parcels would have to drop a table
that the lines, the events and the scans refer to.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("parcels", sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "parcels",
        sa.Column("failed_once", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    parcels = sa.table(
        "parcels",
        sa.column("id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("delivered_at", sa.DateTime(timezone=True)),
        sa.column("failed_once", sa.Boolean),
    )
    events = sa.table(
        "parcel_events",
        sa.column("id", sa.Integer),
        sa.column("parcel_id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("scan_id", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    scans = sa.table(
        "scans", sa.column("id", sa.Integer), sa.column("scanned_at", sa.DateTime(timezone=True))
    )
    op.execute(
        parcels.update()
        .where(sa.exists().where(events.c.parcel_id == parcels.c.id, events.c.status == "failed"))
        .values(failed_once=sa.true())
    )
    last_delivered = (
        sa.select(sa.func.coalesce(scans.c.scanned_at, events.c.created_at))
        .select_from(events.outerjoin(scans, scans.c.id == events.c.scan_id))
        .where(events.c.parcel_id == parcels.c.id, events.c.status == "delivered")
        .order_by(events.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    op.execute(
        parcels.update()
        .where(parcels.c.status == "delivered")
        .values(delivered_at=sa.func.coalesce(last_delivered, parcels.c.updated_at))
    )


def downgrade():
    op.drop_column("parcels", "failed_once")
    op.drop_column("parcels", "delivered_at")
