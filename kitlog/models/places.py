"""Indonesia's official administrative areas, as the database knows them.

The `places` table holds the list kitlog ships (kitlog/data/idn-area-data), loaded by the
migration that created it and brought up to date by `kitlog places load`. Households,
warehouses and rounds refer to it by code, and its foreign keys make sure that a stored
code is an official one.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kitlog.models.base import Model, sql_in

PLACE_LEVELS = ("province", "regency", "district", "village")
MAX_PLACE_CODE = 13  # 35.07.09.1008
MAX_PLACE_NAME = 100


class Place(Model):
    __tablename__ = "places"
    __table_args__ = (CheckConstraint(sql_in("level", PLACE_LEVELS), name="level"),)

    code: Mapped[str] = mapped_column(String(MAX_PLACE_CODE), primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("places.code"), index=True)
    name: Mapped[str] = mapped_column(String(MAX_PLACE_NAME))


def place_code_column(*, index: bool = False) -> Mapped[str | None]:
    """A column holding an official place's code, or NULL when it is not known."""
    return mapped_column(String(MAX_PLACE_CODE), ForeignKey("places.code"), index=index)
