"""kit_types.name_id and kit_items.item_id: kit types and their contents named in Indonesian

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 14:00:00

Both are empty for the kit types already made: their English names stand in until an
Indonesian one is given. ADD COLUMN leaves the tables (and SQLite's triggers) in place.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "kit_types",
        sa.Column("name_id", sa.String(length=200), server_default="", nullable=False),
    )
    op.add_column(
        "kit_items",
        sa.Column("item_id", sa.String(length=200), server_default="", nullable=False),
    )


def downgrade():
    op.drop_column("kit_items", "item_id")
    op.drop_column("kit_types", "name_id")
