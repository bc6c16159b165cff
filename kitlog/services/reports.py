"""Donor reports: aggregates of one donor's batches, derived from the ledger and the scans.

The dataclasses are what every export reads; no field holds personal data of a household
(DESIGN §3 rule 6). Every quantity counts kits, from the parcels' lines (a parcel may hold
several kits drawn from several batches, even of several donors): a donor's figures count
only the kits of its own batches.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from kitlog.models import (
    Donor,
    DonorBatch,
    Household,
    KitType,
    MovementKind,
    Parcel,
    ParcelEvent,
    ParcelLine,
    ParcelStatus,
    Scan,
    StockMovement,
    Warehouse,
)
from kitlog.models.base import utcnow
from kitlog.services.households import PROVINCE_CODE_OF
from kitlog.services.stock import batch_summaries

EXPIRY_WARNING_DAYS = 90  # a batch with kits on hand expiring within this many days is listed


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
    # Parcels with at least one failed attempt, including those delivered at a later visit
    # (parcels_failed counts only those not delivered since, so that delivered + failed
    # is every parcel whose delivery was attempted, each once).
    parcels_failed_once: int = 0
    timezone: str = "Asia/Jakarta"  # the zone the timeline's days are in

    @property
    def delivered(self) -> int:
        """Kits delivered, all batches."""
        return sum(batch.delivered for batch in self.batches)

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
    """Everything the donor's report shows, in a handful of aggregate queries.

    Delivered kits are the lines of parcels whose status is delivered now. The timeline
    puts each delivered parcel on the local day (in `timezone`) of its delivery: the
    delivering scan's device time (`scanned_at`, when the phone was offline it is when the
    kit was handed over) when present, else the time the delivery was recorded (the
    delivered event's `created_at`, the server's time).
    """
    now = now or utcnow()
    batches = _batches(session, donor)
    batch_ids = [row.id for row in batches]
    figures = _batch_figures(session, batches, batch_ids)
    regions = _regions(session, batch_ids)
    delivered_parcels, failed_parcels, failed_once = _parcel_outcomes(session, batch_ids)
    timeline = _timeline(session, batch_ids, ZoneInfo(timezone))
    horizon = today + timedelta(days=EXPIRY_WARNING_DAYS)
    expiring = sorted(
        (
            b
            for b in figures
            if b.on_hand > 0 and b.expiry_date is not None and b.expiry_date <= horizon
        ),
        key=lambda b: (b.expiry_date, b.id),
    )
    return DonorReport(
        donor=donor,
        generated_at=now,
        today=today,
        batches=figures,
        by_region=regions,
        timeline=timeline,
        target=sum(b.pledged for b in figures),
        households_reached=sum(r.households_reached for r in regions),
        people_reached=sum(r.people_reached for r in regions),
        vulnerable_households_reached=sum(r.vulnerable_households_reached for r in regions),
        parcels_delivered=delivered_parcels,
        parcels_failed=failed_parcels,
        parcels_failed_once=failed_once,
        expiring=expiring,
        timezone=timezone,
    )


def _batches(session: Session, donor: Donor):
    return session.execute(
        select(
            DonorBatch.id,
            DonorBatch.reference,
            DonorBatch.lot,
            KitType.code.label("kit_type"),
            Warehouse.code.label("warehouse"),
            DonorBatch.received_date,
            DonorBatch.expiry_date,
            DonorBatch.quantity_pledged,
        )
        .join(KitType, KitType.id == DonorBatch.kit_type_id)
        .join(Warehouse, Warehouse.id == DonorBatch.warehouse_id)
        .where(DonorBatch.donor_id == donor.id)
        .order_by(DonorBatch.received_date, DonorBatch.id)
    ).all()


def _delivered_lines(batch_ids: list[int]):
    """The donor's lines of parcels delivered now: (parcel, household, batch, kits)."""
    return (
        select(ParcelLine.parcel_id, Parcel.household_id, ParcelLine.batch_id, ParcelLine.kits)
        .join(Parcel, Parcel.id == ParcelLine.parcel_id)
        .where(ParcelLine.batch_id.in_(batch_ids), Parcel.status == ParcelStatus.DELIVERED)
    )


def _vulnerable():
    return or_(Household.elderly, Household.disability, Household.pregnant, Household.under5)


def _batch_figures(session: Session, batches, batch_ids: list[int]) -> list[BatchFigures]:
    if not batch_ids:
        return []
    summaries = batch_summaries(session, batch_ids)
    lost_by_reason: dict[int, dict[str, int]] = defaultdict(dict)
    for batch_id, reason, kits in session.execute(
        select(StockMovement.batch_id, StockMovement.reason, -func.sum(StockMovement.quantity))
        .where(StockMovement.batch_id.in_(batch_ids), StockMovement.kind == MovementKind.LOSS)
        .group_by(StockMovement.batch_id, StockMovement.reason)
        .order_by(StockMovement.batch_id, StockMovement.reason)
    ):
        lost_by_reason[batch_id][reason] = int(kits)
    # A household counts once per batch, however many of its parcels drew on it.
    reached = (
        select(ParcelLine.batch_id, Parcel.household_id)
        .join(Parcel, Parcel.id == ParcelLine.parcel_id)
        .where(ParcelLine.batch_id.in_(batch_ids), Parcel.status == ParcelStatus.DELIVERED)
        .distinct()
        .subquery()
    )
    people: dict[int, tuple[int, int]] = {
        batch_id: (int(households), int(members or 0))
        for batch_id, households, members in session.execute(
            select(reached.c.batch_id, func.count(), func.sum(Household.members))
            .join(Household, Household.id == reached.c.household_id)
            .group_by(reached.c.batch_id)
        )
    }
    figures = []
    for row in batches:
        s = summaries[row.id]
        households, members = people.get(row.id, (0, 0))
        figures.append(
            BatchFigures(
                id=row.id,
                reference=row.reference,
                lot=row.lot,
                kit_type=row.kit_type,
                warehouse=row.warehouse,
                received_date=row.received_date,
                expiry_date=row.expiry_date,
                pledged=row.quantity_pledged,
                received=s.received,
                lost=s.lost,
                lost_by_reason=lost_by_reason.get(row.id, {}),
                adjusted=s.adjusted,
                on_hand=s.on_hand,
                reserved=s.reserved,
                in_transit=s.in_transit,
                delivered=s.delivered,
                households_reached=households,
                people_reached=members,
            )
        )
    return figures


def _regions(session: Session, batch_ids: list[int]) -> list[RegionFigures]:
    if not batch_ids:
        return []
    lines = _delivered_lines(batch_ids).subquery()
    kits = {
        (province, regency): int(total)
        for province, regency, total in session.execute(
            select(Household.province, Household.regency, func.sum(lines.c.kits))
            .join(Household, Household.id == lines.c.household_id)
            .group_by(Household.province, Household.regency)
        )
    }
    households = select(lines.c.household_id).distinct().subquery()
    regions = []
    for province, regency, count, members, vulnerable in session.execute(
        select(
            Household.province,
            Household.regency,
            func.count(),
            func.sum(Household.members),
            func.sum(case((_vulnerable(), 1), else_=0)),
        )
        .join(households, households.c.household_id == Household.id)
        .group_by(Household.province, Household.regency)
        .order_by(Household.province, Household.regency)
    ):
        regions.append(
            RegionFigures(
                province=province,
                province_code=PROVINCE_CODE_OF.get(province, ""),
                regency=regency,
                delivered=kits.get((province, regency), 0),
                households_reached=int(count),
                people_reached=int(members or 0),
                vulnerable_households_reached=int(vulnerable or 0),
            )
        )
    return regions


def _parcel_outcomes(session: Session, batch_ids: list[int]) -> tuple[int, int, int]:
    """(parcels delivered, failed and not delivered since, failed at least once)."""
    if not batch_ids:
        return 0, 0, 0
    donors_parcels = select(ParcelLine.parcel_id).where(ParcelLine.batch_id.in_(batch_ids))
    ever_failed = (
        select(ParcelEvent.parcel_id)
        .where(ParcelEvent.status == ParcelStatus.FAILED)
        .distinct()
        .subquery()
    )
    delivered = Parcel.status == ParcelStatus.DELIVERED
    row = session.execute(
        select(
            func.sum(case((delivered, 1), else_=0)),
            func.sum(case((and_(ever_failed.c.parcel_id.is_not(None), ~delivered), 1), else_=0)),
            func.sum(case((ever_failed.c.parcel_id.is_not(None), 1), else_=0)),
        )
        .select_from(Parcel)
        .outerjoin(ever_failed, ever_failed.c.parcel_id == Parcel.id)
        .where(Parcel.id.in_(donors_parcels))
    ).one()
    return tuple(int(value or 0) for value in row)  # type: ignore[return-value]


def _timeline(session: Session, batch_ids: list[int], zone: ZoneInfo) -> list[DayFigures]:
    """Kits delivered per local day, with the running total: one GROUP BY."""
    if not batch_ids:
        return []
    last_delivery = (
        select(ParcelEvent.parcel_id, func.max(ParcelEvent.id).label("event_id"))
        .where(ParcelEvent.status == ParcelStatus.DELIVERED)
        .group_by(ParcelEvent.parcel_id)
        .subquery()
    )
    lines = _delivered_lines(batch_ids).subquery()
    moment = func.coalesce(Scan.scanned_at, ParcelEvent.created_at, Parcel.updated_at)
    base = (
        select(func.sum(lines.c.kits))
        .select_from(lines)
        .join(Parcel, Parcel.id == lines.c.parcel_id)
        .outerjoin(last_delivery, last_delivery.c.parcel_id == lines.c.parcel_id)
        .outerjoin(ParcelEvent, ParcelEvent.id == last_delivery.c.event_id)
        .outerjoin(Scan, Scan.id == ParcelEvent.scan_id)
    )
    per_day: dict[date, int] = defaultdict(int)
    if session.get_bind().dialect.name == "postgresql":
        day = cast(func.timezone(zone.key, moment), Date)
        for kits, day_value in session.execute(base.add_columns(day).group_by(day)):
            per_day[_as_date(day_value)] += int(kits)
    else:
        # SQLite keeps UTC instants as text and knows no time zones: group by quarter hour
        # (every zone's offset is a whole number of quarter hours), then place each quarter
        # on its local day here, a few rows a day whatever the number of parcels.
        hour = func.strftime("%Y-%m-%d %H", moment)
        quarter = cast(func.strftime("%M", moment), Integer) / literal(15)
        for kits, hour_text, q in session.execute(
            base.add_columns(hour, quarter).group_by(hour, quarter)
        ):
            instant = datetime.strptime(hour_text, "%Y-%m-%d %H").replace(tzinfo=UTC)
            instant += timedelta(minutes=15 * int(q))
            per_day[instant.astimezone(zone).date()] += int(kits)
    timeline, running = [], 0
    for day_ in sorted(per_day):
        running += per_day[day_]
        timeline.append(DayFigures(date=day_, delivered=per_day[day_], cumulative=running))
    return timeline


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


@dataclass
class DonorLine:
    """A donor in the list of reports."""

    donor: Donor
    batches: int
    pledged: int
    received: int


def donors_for_reports(session: Session) -> list[DonorLine]:
    """Every donor with its number of batches and the kits pledged and received: one query."""
    rows = session.execute(
        select(
            Donor,
            func.count(DonorBatch.id),
            func.coalesce(func.sum(DonorBatch.quantity_pledged), 0),
            func.coalesce(func.sum(DonorBatch.quantity_received), 0),
        )
        .outerjoin(DonorBatch, DonorBatch.donor_id == Donor.id)
        .group_by(Donor.id)
        .order_by(Donor.code)
    )
    return [DonorLine(d, int(n), int(p), int(r)) for d, n, p, r in rows]
