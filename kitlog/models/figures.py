"""Kept figures: sums of the ledger and of the parcels' lines that the reports read
instead of adding up a million rows each time.

Triggers keep them (kitlog.kept_figures): each is changed by `x = x + n` in the same
statement, and so the same transaction, that writes the movement or changes the parcel,
on both databases; no code of kitlog writes them. `kitlog check` recomputes every one
from the rows (services.kept_figures) and names any that disagrees.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kitlog.models.base import Model


class LedgerTotal(Model):
    """The ledger summed by batch, warehouse and kind, and for losses by reason: what
    `SUM(quantity) GROUP BY batch, warehouse, kind` over stock_movements would give."""

    __tablename__ = "ledger_totals"
    # No CHECK names the kinds (nor, below, the statuses): the rows copy columns that
    # their own tables check, and a vocabulary grows by its own tables' CHECKs alone.
    __table_args__ = (
        CheckConstraint("kind = 'loss' OR reason = ''", name="reason_only_for_losses"),
    )

    batch_id: Mapped[int] = mapped_column(ForeignKey("donor_batches.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    # A loss's reason as the ledger writes it; "" for every other kind.
    reason: Mapped[str] = mapped_column(String(500), primary_key=True)
    quantity: Mapped[int] = mapped_column(BigInteger)  # signed, as in the ledger
    movements: Mapped[int] = mapped_column(Integer)


class ParcelKitTotal(Model):
    """Kits in the parcels' lines by batch and the parcel's status."""

    __tablename__ = "parcel_kit_totals"
    batch_id: Mapped[int] = mapped_column(ForeignKey("donor_batches.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    kits: Mapped[int] = mapped_column(Integer)


class BatchHouseholdFigures(Model):
    """Kits of one batch delivered to one household (in parcels delivered now): a batch
    reached the households whose row holds more than 0."""

    __tablename__ = "batch_household_figures"

    batch_id: Mapped[int] = mapped_column(ForeignKey("donor_batches.id"), primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), primary_key=True)
    delivered_kits: Mapped[int] = mapped_column(Integer)


class DonorHouseholdFigures(Model):
    """One household's parcels that hold kits of one donor's batches: each parcel counts
    once for the donor, however many of its batches it draws on.

    The household's place, size and vulnerabilities are not kept: the report joins the
    household as it is now, as it always did.
    """

    __tablename__ = "donor_household_figures"

    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"), primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), primary_key=True)
    live_parcels: Mapped[int] = mapped_column(Integer)  # not cancelled
    delivered_parcels: Mapped[int] = mapped_column(Integer)
    delivered_kits: Mapped[int] = mapped_column(Integer)  # the donor's kits in them
    collector_parcels: Mapped[int] = mapped_column(Integer)  # delivered to a collector
    failed_parcels: Mapped[int] = mapped_column(Integer)  # failed once, not delivered since
    failed_once_parcels: Mapped[int] = mapped_column(Integer)  # failed once, any status
    # The moments of its first and last delivered parcel (Parcel.delivered_at, else
    # updated_at); None while none is delivered.
    first_delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DonorDeliveryQuarter(Model):
    """Kits of one donor delivered in one quarter hour (UTC seconds since 1970 // 900):
    every time zone's day starts on a quarter hour, so the timeline's local days are
    whole quarters, in whatever zone the report is asked for."""

    __tablename__ = "donor_delivery_quarters"

    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"), primary_key=True)
    quarter: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kits: Mapped[int] = mapped_column(Integer)


KEPT_FIGURE_MODELS: tuple[type[Model], ...] = (
    LedgerTotal,
    ParcelKitTotal,
    BatchHouseholdFigures,
    DonorHouseholdFigures,
    DonorDeliveryQuarter,
)
