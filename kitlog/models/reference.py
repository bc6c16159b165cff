"""Reference data: donors, kit types with their contents, warehouses."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kitlog.models.base import Model, created_at_column
from kitlog.models.places import place_code_column

MAX_TIMEZONE = 64  # the longest IANA zone name is 32 characters


class Donor(Model):
    __tablename__ = "donors"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = created_at_column()


class KitType(Model):
    __tablename__ = "kit_types"
    __table_args__ = (
        CheckConstraint("weight_kg >= 0", name="weight_not_negative"),
        CheckConstraint("volume_m3 >= 0", name="volume_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Its name in Indonesian; empty when it has none, and the English name stands in.
    name_id: Mapped[str] = mapped_column(String(200), default="", server_default="")
    weight_kg: Mapped[Decimal] = mapped_column(Numeric(10, 3))
    volume_m3: Mapped[Decimal] = mapped_column(Numeric(10, 4))
    created_at: Mapped[datetime] = created_at_column()

    contents: Mapped[list[KitItem]] = relationship(
        back_populates="kit_type", order_by="KitItem.position", cascade="all, delete-orphan"
    )


class KitItem(Model):
    """One line of a kit's contents: 10 masks, 4 bars of soap."""

    __tablename__ = "kit_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        UniqueConstraint("kit_type_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kit_type_id: Mapped[int] = mapped_column(ForeignKey("kit_types.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(200))
    # The item in Indonesian; empty when it has none, and `item` stands in.
    item_id: Mapped[str] = mapped_column(String(200), default="", server_default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(40))

    kit_type: Mapped[KitType] = relationship(back_populates="contents")


class Warehouse(Model):
    __tablename__ = "warehouses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    province: Mapped[str] = mapped_column(String(100))
    regency: Mapped[str] = mapped_column(String(100))
    # The official places it stands in: down to its regency at least, its village if known.
    district: Mapped[str | None] = mapped_column(String(100))
    village: Mapped[str | None] = mapped_column(String(100))
    province_code: Mapped[str | None] = place_code_column()
    regency_code: Mapped[str | None] = place_code_column()
    district_code: Mapped[str | None] = place_code_column()
    village_code: Mapped[str | None] = place_code_column()
    address: Mapped[str] = mapped_column(String(500), default="")
    # The IANA zone its work is shown in (Asia/Makassar); its province's unless set.
    timezone: Mapped[str] = mapped_column(
        String(MAX_TIMEZONE), default="Asia/Jakarta", server_default="Asia/Jakarta"
    )
    created_at: Mapped[datetime] = created_at_column()
