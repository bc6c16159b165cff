"""Donor batches and the append-only stock ledger."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kitlog.models.base import Model, created_at_column, sql_in
from kitlog.models.reference import Donor, KitType, Warehouse
from kitlog.models.scanning import Manifest
from kitlog.models.users import User


class MovementKind(enum.StrEnum):
    RECEIPT = "receipt"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    DISPATCH = "dispatch"
    RETURN = "return"
    ADJUSTMENT = "adjustment"
    LOSS = "loss"


MOVEMENT_KINDS = tuple(k.value for k in MovementKind)


class DonorBatch(Model):
    """One donor's delivery of one kit type; what arrived short or damaged is recorded."""

    __tablename__ = "donor_batches"
    __table_args__ = (
        CheckConstraint("quantity_pledged >= 0", name="pledged_not_negative"),
        CheckConstraint("quantity_received >= 0", name="received_not_negative"),
        CheckConstraint(
            "quantity_damaged >= 0 AND quantity_damaged <= quantity_received",
            name="damaged_within_received",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"), index=True)
    kit_type_id: Mapped[int] = mapped_column(ForeignKey("kit_types.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    reference: Mapped[str] = mapped_column(String(120))
    lot: Mapped[str] = mapped_column(String(60))
    expiry_date: Mapped[date | None] = mapped_column(Date)
    quantity_pledged: Mapped[int] = mapped_column(Integer)
    quantity_received: Mapped[int] = mapped_column(Integer)
    quantity_damaged: Mapped[int] = mapped_column(Integer, default=0)
    received_date: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    donor: Mapped[Donor] = relationship()
    kit_type: Mapped[KitType] = relationship()
    warehouse: Mapped[Warehouse] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def label(self) -> str:
        return f"{self.donor.code} · {self.lot}"


class Transfer(Model):
    """Kits of one batch moved between two warehouses: one transfer_out, one transfer_in."""

    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("from_warehouse_id <> to_warehouse_id", name="different_warehouses"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("donor_batches.id"), index=True)
    from_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    to_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    batch: Mapped[DonorBatch] = relationship()
    from_warehouse: Mapped[Warehouse] = relationship(foreign_keys=[from_warehouse_id])
    to_warehouse: Mapped[Warehouse] = relationship(foreign_keys=[to_warehouse_id])
    user: Mapped[User | None] = relationship()


class StockMovement(Model):
    """One immutable change of the stock of one batch in one warehouse.

    Stock on hand is the sum of these rows; a correction is a new row. The database
    refuses UPDATE and DELETE on this table (triggers in the first migration) and
    checks that each kind moves stock in its own direction.
    """

    __tablename__ = "stock_movements"
    __table_args__ = (
        CheckConstraint(sql_in("kind", MOVEMENT_KINDS), name="kind"),
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        CheckConstraint(
            "(kind IN ('receipt', 'transfer_in', 'return') AND quantity > 0)"
            " OR (kind IN ('transfer_out', 'dispatch', 'loss') AND quantity < 0)"
            " OR kind = 'adjustment'",
            name="kind_direction",
        ),
        CheckConstraint(
            "kind NOT IN ('loss', 'adjustment') OR length(reason) > 0", name="reason_required"
        ),
        CheckConstraint(
            "kind NOT IN ('transfer_in', 'transfer_out') OR transfer_id IS NOT NULL",
            name="transfer_has_document",
        ),
        Index("ix_stock_movements_balance", "batch_id", "warehouse_id", "kind", "quantity"),
        # the stock report of a warehouse, read from the index alone
        Index(
            "ix_stock_movements_warehouse_report",
            "warehouse_id",
            "created_at",
            "batch_id",
            "kind",
            "quantity",
        ),
        # a donor report's losses by reason
        Index(
            "ix_stock_movements_loss",
            "batch_id",
            "reason",
            "quantity",
            sqlite_where=text("kind = 'loss'"),
            postgresql_where=text("kind = 'loss'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("donor_batches.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"), index=True)
    # the manifest whose dispatch or return moved the stock
    manifest_id: Mapped[int | None] = mapped_column(ForeignKey("manifests.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    batch: Mapped[DonorBatch] = relationship()
    warehouse: Mapped[Warehouse] = relationship()
    transfer: Mapped[Transfer | None] = relationship()
    manifest: Mapped[Manifest | None] = relationship()
    user: Mapped[User | None] = relationship()
