"""places: Indonesia's official administrative areas; codes beside the place names

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 16:00:00

Creates the `places` table and loads the list kitlog ships (provinces, regencies,
districts and villages with their Kemendagri codes). Households, warehouses and rounds
gain the codes of their places, each a foreign key into `places`.

Existing rows are matched by name, without guessing: a name is taken only when it means
exactly one place under the one matched before it (case, spacing and prefixes such as
`Kab.` aside). A matched place's name becomes the official one; the codes are filled as
deep as the names matched, and nothing is dropped: `kitlog places check` lists every
household whose village was not matched, for correction.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

LEVELS = ("province", "regency", "district", "village")
_CODE = sa.String(length=13)


def _add_code_column(table, level):
    # ADD COLUMN with its foreign key, in the one form SQLite and PostgreSQL both take: a
    # batch copy would have to drop tables that others refer to.
    op.execute(
        f"ALTER TABLE {table} ADD COLUMN {level}_code VARCHAR(13)"
        f" CONSTRAINT fk_{table}_{level}_code_places REFERENCES places (code)"
    )


def _drop_code_columns(table, levels):
    from kitlog.schema import drop_referencing_columns

    drop_referencing_columns(
        op, table, {f"{level}_code": f"fk_{table}_{level}_code_places" for level in levels}
    )


def upgrade():
    from kitlog.services.places import best_match, read_places

    places = op.create_table(
        "places",
        sa.Column("code", _CODE, nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("parent_code", _CODE, nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "level IN ('province', 'regency', 'district', 'village')", name="ck_places_level"
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["places.code"], name="fk_places_parent_code_places"
        ),
        sa.PrimaryKeyConstraint("code", name="pk_places"),
    )
    op.create_index("ix_places_parent_code", "places", ["parent_code"])
    op.bulk_insert(
        places,
        [
            {"code": p.code, "level": p.level, "parent_code": p.parent, "name": p.name}
            for p in read_places()
        ],
    )

    for level in LEVELS:
        _add_code_column("households", level)
    op.create_index("ix_households_village_code", "households", ["village_code"])
    op.create_index("ix_households_area_codes", "households", ["regency_code", "district_code"])
    op.add_column("warehouses", sa.Column("district", sa.String(length=100), nullable=True))
    op.add_column("warehouses", sa.Column("village", sa.String(length=100), nullable=True))
    for level in LEVELS:
        _add_code_column("warehouses", level)
    for level in LEVELS[:2]:
        _add_code_column("rounds", level)

    bind = op.get_bind()
    _match(bind, "households", LEVELS, best_match)
    _match(bind, "warehouses", LEVELS[:2], best_match)
    _match(bind, "rounds", LEVELS[:2], best_match)


def _match(bind, name, levels, best_match):
    """Fill the codes (and the official names) of every row whose names match."""
    columns = [sa.column("id", sa.Integer)]
    columns += [sa.column(level, sa.String) for level in LEVELS]
    columns += [sa.column(f"{level}_code", sa.String) for level in LEVELS]
    table = sa.table(name, *columns)
    area = [table.c[level] for level in levels]
    for row in bind.execute(sa.select(*area).distinct()).all():
        names = dict(zip(levels, row, strict=True))
        found = best_match(names)
        if not found:
            continue
        values = {}
        for level, place in zip(levels, found, strict=False):
            values[level] = place.name
            values[f"{level}_code"] = place.code
        same_area = [
            column == value if value is not None else column.is_(None)
            for column, value in zip(area, row, strict=True)
        ]
        bind.execute(table.update().where(*same_area).values(values))


def downgrade():
    _drop_code_columns("rounds", LEVELS[:2])
    _drop_code_columns("warehouses", LEVELS)
    op.drop_column("warehouses", "village")
    op.drop_column("warehouses", "district")
    op.drop_index("ix_households_area_codes", table_name="households")
    op.drop_index("ix_households_village_code", table_name="households")
    _drop_code_columns("households", LEVELS)
    # its index goes with it (dropped first, SQLite's check of each row's children by
    # parent_code would read the whole table for each of its 91,599 rows)
    op.drop_table("places")
