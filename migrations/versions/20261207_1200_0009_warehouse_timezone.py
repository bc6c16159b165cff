"""warehouses.timezone: the IANA zone a warehouse's work is shown in

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 09:00:00

Each warehouse takes the zone of its province: WITA (Asia/Makassar) for Bali, Nusa
Tenggara, South, East and North Kalimantan and Sulawesi, WIT (Asia/Jayapura) for Maluku
and Papua, WIB (Asia/Jakarta) for the others and for a province not in the list. The
table below is this revision's own copy, so that what it writes never changes.
"""

import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_WITA = (
    "bali nusatenggarabarat ntb nusatenggaratimur ntt kalimantanselatan kalsel "
    "kalimantantimur kaltim kalimantanutara kaltara sulawesiutara sulut sulawesitengah "
    "sulteng sulawesiselatan sulsel sulawesitenggara sultra gorontalo sulawesibarat sulbar"
).split()
_WIT = (
    "maluku malukuutara malut papua papuabarat pabar papuaselatan papuatengah "
    "papuapegunungan papuabaratdaya"
).split()


def _zone(province):
    key = re.sub(r"[^a-z0-9]", "", (province or "").lower())
    key = key.removeprefix("provinsi")
    if key in _WITA:
        return "Asia/Makassar"
    if key in _WIT:
        return "Asia/Jayapura"
    return "Asia/Jakarta"


def upgrade():
    op.add_column(
        "warehouses",
        sa.Column(
            "timezone", sa.String(length=64), nullable=False, server_default="Asia/Jakarta"
        ),
    )
    warehouses = sa.table(
        "warehouses",
        sa.column("id", sa.Integer),
        sa.column("province", sa.String),
        sa.column("timezone", sa.String),
    )
    bind = op.get_bind()
    for id_, province in bind.execute(sa.select(warehouses.c.id, warehouses.c.province)):
        zone = _zone(province)
        if zone != "Asia/Jakarta":
            bind.execute(
                warehouses.update().where(warehouses.c.id == id_).values(timezone=zone)
            )


def downgrade():
    op.drop_column("warehouses", "timezone")
