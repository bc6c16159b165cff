"""share_links.language: the language a share link's page opens in

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 15:00:00

The links already made open in Indonesian, as they did. Batch mode, because SQLite adds
a CHECK only by copying the table: share_links has no triggers and no table refers to
it, so the copy loses nothing.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("share_links", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=5), server_default="id", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_share_links_language"), "language IN ('id', 'en')"
        )


def downgrade():
    with op.batch_alter_table("share_links", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_share_links_language"), type_="check")
        batch_op.drop_column("language")
