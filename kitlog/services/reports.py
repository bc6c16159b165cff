"""Donor reports: aggregates of one donor's batches, derived from the ledger and the scans.

INTERFACE (implementation pending): the dataclasses are what every export reads; no field
holds personal data of a household (DESIGN §3 rule 6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from kitlog.models import Donor


@dataclass
class BatchFigures:
    """One batch, in kits, in the terms of API.md Reports."""

    id: int
    reference: str
    lot: str
    kit_type: str  # the kit type's code
    warehouse: str  # the receiving warehouse's code
    received_date: date
    expiry_date: date | None
    pledged: int
    received: int
    lost: int
    lost_by_reason: dict[str, int]  # reason as written in the ledger -> kits
    adjusted: int  # signed
    on_hand: int  # reserved is part of it
    reserved: int
    in_transit: int
    delivered: int
    households_reached: int
    people_reached: int

    @property
    def reconciled(self) -> bool:
        """received + adjusted = lost + on hand + in transit + delivered."""
        return (
            self.received + self.adjusted
            == self.lost + self.on_hand + self.in_transit + self.delivered
        )


@dataclass
class RegionFigures:
    """Deliveries in one regency (kabupaten/kota) of one province."""

    province: str
    province_code: str  # Kemendagri code, for #adm1+code
    regency: str
    delivered: int  # kits
    households_reached: int
    people_reached: int
    vulnerable_households_reached: int


@dataclass
class DayFigures:
    """Kits delivered on one day (deployment time zone), and the running total."""

    date: date
    delivered: int
    cumulative: int


@dataclass
class DonorReport:
    donor: Donor
    generated_at: datetime  # UTC
    today: date  # in the deployment's time zone
    batches: list[BatchFigures]
    by_region: list[RegionFigures]  # by province, then regency
    timeline: list[DayFigures]  # days with deliveries, oldest first
    target: int  # kits the donor pledged (the chart's target line)
    households_reached: int
    people_reached: int
    vulnerable_households_reached: int
    parcels_delivered: int
    parcels_failed: int  # delivery attempts that failed (a parcel counts once)
    expiring: list[BatchFigures] = field(default_factory=list)  # on hand, expiring soon

    @property
    def success_rate(self) -> float | None:
        """Delivered parcels / parcels whose delivery was attempted; None before any."""
        attempted = self.parcels_delivered + self.parcels_failed
        return self.parcels_delivered / attempted if attempted else None

    @property
    def reconciled(self) -> bool:
        return all(batch.reconciled for batch in self.batches)


def donor_report(
    session: Session, donor: Donor, *, today: date, timezone: str, now: datetime | None = None
) -> DonorReport:
    """Everything the donor's report shows, in a handful of aggregate queries."""
    raise NotImplementedError
