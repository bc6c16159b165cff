"""Donor reports: aggregates of one donor's batches, derived from the ledger and the scans.

The dataclasses are what every export reads; no field holds personal data of a household
(rule 6 of docs/design.md), nor any word a household or an officer wrote: feedback and
post-distribution monitoring (PDM) reach the donor as counts, rates and means only. Every
quantity counts kits, from the parcels' lines (a parcel may hold several kits drawn from
several batches, even of several donors): a donor's figures count only the kits of its
own batches.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Row,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from kitlog.kept_figures import QUARTER_SECONDS
from kitlog.models import (
    FEEDBACK_CATEGORIES,
    RESERVING_STATUSES,
    BatchHouseholdFigures,
    Donor,
    DonorBatch,
    DonorDeliveryQuarter,
    DonorHouseholdFigures,
    Feedback,
    FeedbackStatus,
    Household,
    KitType,
    LedgerTotal,
    MovementKind,
    Parcel,
    ParcelKitTotal,
    ParcelLine,
    ParcelStatus,
    PdmResponse,
    Place,
    Warehouse,
)
from kitlog.models.base import utcnow
from kitlog.services.stock import summarise_ledger_totals

EXPIRY_WARNING_DAYS = 90  # a batch with kits on hand expiring within this many days is listed


@dataclass
class BatchFigures:
    """One batch, in kits, in the terms of docs/api.md, Reports."""

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
    kit_name: str = ""  # the kit type's name in English
    kit_name_id: str = ""  # and in Indonesian ("" when it has none)

    @property
    def reconciled(self) -> bool:
        """received + adjusted = lost + on hand + in transit + delivered."""
        return (
            self.received + self.adjusted
            == self.lost + self.on_hand + self.in_transit + self.delivered
        )


@dataclass
class RegionFigures:
    """Households targeted and reached, and kits delivered, in one regency (kabupaten/kota)
    of one province.

    Targeted: the households living there with at least one parcel that holds kits of the
    donor's batches and is not cancelled (allocated, packed, on the road, delivered, failed
    or returned). Reached: those with such a parcel delivered. Every reached household is
    targeted, so targeted >= reached.
    """

    province: str
    province_code: str  # Kemendagri code ("35"), for #adm1+code; "" for an unmatched name
    regency: str
    delivered: int  # kits
    households_reached: int
    people_reached: int
    vulnerable_households_reached: int
    households_targeted: int = 0
    # Parcels delivered there that a collector (a person the household named to collect
    # for it) took rather than the household itself: a count, never who.
    delivered_to_collector: int = 0
    regency_code: str = ""  # Kemendagri code with its dot ("35.07"), for #adm2+code
    first_delivery: date | None = None  # local days; None before any delivery there
    last_delivery: date | None = None


@dataclass
class DayFigures:
    """Kits delivered on one day (deployment time zone), and the running total."""

    date: date
    delivered: int
    cumulative: int


@dataclass(frozen=True)
class BatchTotals:
    """All of a donor's batches added up: the total row of the report's tables."""

    pledged: int
    received: int
    lost: int
    adjusted: int  # signed
    on_hand: int
    reserved: int
    in_transit: int
    delivered: int

    @property
    def reconciled(self) -> bool:
        """received + adjusted = lost + on hand + in transit + delivered."""
        return (
            self.received + self.adjusted
            == self.lost + self.on_hand + self.in_transit + self.delivered
        )


@dataclass(frozen=True)
class RegionTotals:
    """Every regency's deliveries added up."""

    delivered: int
    households_reached: int
    people_reached: int
    vulnerable_households_reached: int
    households_targeted: int
    delivered_to_collector: int


SECONDS_A_DAY = 86400


def _median_days(seconds: Sequence[int]) -> float | None:
    """The median of durations given in seconds, in days to one decimal; None for none."""
    if not seconds:
        return None
    return round(statistics.median(seconds) / SECONDS_A_DAY, 1)


@dataclass(frozen=True)
class CategoryFigures:
    """Feedback of one category attributed to the donor: how many were received, how many
    resolved (or closed), and the median days from received to resolved."""

    category: str  # the code (FeedbackCategory)
    received: int = 0
    resolved: int = 0
    median_days_to_resolve: float | None = None


@dataclass(frozen=True)
class FeedbackFigures:
    """The donor's feedback as counts: never a text, never who.

    Attributed to the donor: feedback about a parcel that holds kits of the donor's
    batches, or, naming no parcel, from a household that has such a parcel (not
    cancelled). Feedback with neither is no donor's, and feedback of a household that
    two donors' kits reached counts for both. Sensitive feedback and complaints about
    staff conduct are counted like any other: a count names no one and quotes nothing.

    Resolved: its status is resolved or closed, with the moment it was resolved.
    """

    by_category: tuple[CategoryFigures, ...] = tuple(
        CategoryFigures(category) for category in FEEDBACK_CATEGORIES
    )
    median_days_to_resolve: float | None = None  # every category's, one decimal

    @property
    def received(self) -> int:
        return sum(c.received for c in self.by_category)

    @property
    def resolved(self) -> int:
        return sum(c.resolved for c in self.by_category)


@dataclass(frozen=True)
class PdmFigures:
    """Post-distribution monitoring of the donor's parcels: how many answered, the share
    that said the parcel came complete, the mean satisfaction (1 to 5). Never a comment."""

    responses: int = 0
    complete: int = 0
    satisfaction_total: int = 0

    @property
    def complete_rate(self) -> float | None:
        """Responses that received the parcel complete / responses (0 to 1); None for none."""
        return self.complete / self.responses if self.responses else None

    @property
    def satisfaction_mean(self) -> float | None:
        """The mean satisfaction, one decimal; None before any response."""
        return round(self.satisfaction_total / self.responses, 1) if self.responses else None


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
    # Delivered parcels a collector took for the household (Parcel.recipient_kind).
    parcels_delivered_to_collector: int = 0
    feedback: FeedbackFigures = field(default_factory=FeedbackFigures)
    pdm: PdmFigures = field(default_factory=PdmFigures)

    @property
    def totals(self) -> BatchTotals:
        """The batches' figures added up, for every page and file that shows a total."""
        return BatchTotals(
            *(
                sum(getattr(batch, name) for batch in self.batches)
                for name in (
                    "pledged",
                    "received",
                    "lost",
                    "adjusted",
                    "on_hand",
                    "reserved",
                    "in_transit",
                    "delivered",
                )
            )
        )

    @property
    def region_totals(self) -> RegionTotals:
        """The regencies' deliveries added up (a household lives in one regency)."""
        return RegionTotals(
            *(
                sum(getattr(region, name) for region in self.by_region)
                for name in (
                    "delivered",
                    "households_reached",
                    "people_reached",
                    "vulnerable_households_reached",
                    "households_targeted",
                    "delivered_to_collector",
                )
            )
        )

    @property
    def delivered(self) -> int:
        """Kits delivered, all batches."""
        return self.totals.delivered

    @property
    def households_targeted(self) -> int:
        """Households with a live parcel of the donor's kits (a household lives in one
        regency: the regions' sum counts each once)."""
        return self.region_totals.households_targeted

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

    The queries read the figures kept as the ledger grows and parcels move
    (kitlog.models.figures), never the million rows behind them: the donor's batches;
    the ledger's totals for them and their losses by reason; their kits by parcel
    status; the households each batch reached; the donor's households by regency (with
    the parcels' outcomes); its kits delivered by quarter hour; then the feedback
    attributed to the donor and the PDM responses about its parcels.
    """
    now = now or utcnow()
    batches = _batches(session, donor)
    batch_ids = [row.id for row in batches]
    lines = _LineFigures.of(session, donor, batch_ids, ZoneInfo(timezone))
    figures = _batch_figures(session, batches, batch_ids, lines)
    regions = lines.regions
    timeline = lines.timeline
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
        parcels_delivered=lines.parcels_delivered,
        parcels_failed=lines.parcels_failed,
        parcels_failed_once=lines.parcels_failed_once,
        parcels_delivered_to_collector=lines.parcels_delivered_to_collector,
        expiring=expiring,
        timezone=timezone,
        feedback=_feedback_figures(session, batch_ids),
        pdm=_pdm_figures(session, batch_ids),
    )


# A batch as _batches reads it: id, reference, lot, kit type's code, warehouse's code,
# received date, expiry date, kits pledged, kit type's names (English, Indonesian).
_BatchRow = Row[int, str, str, str, str, date, date | None, int, str, str]


def _batches(session: Session, donor: Donor) -> Sequence[_BatchRow]:
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
            KitType.name.label("kit_name"),
            KitType.name_id.label("kit_name_id"),
        )
        .join(KitType, KitType.id == DonorBatch.kit_type_id)
        .join(Warehouse, Warehouse.id == DonorBatch.warehouse_id)
        .where(DonorBatch.donor_id == donor.id)
        .order_by(DonorBatch.received_date, DonorBatch.id)
    ).all()


def _vulnerable() -> ColumnElement[bool]:
    return or_(Household.elderly, Household.disability, Household.pregnant, Household.under5)


@dataclass
class _LineFigures:
    """What the donor's parcels say, read from the figures kept as parcels move
    (kitlog.models.figures) instead of from their lines: kits by batch and status, the
    households each batch and the donor reached (joined to the households as they are
    now: their place, size and vulnerabilities), and kits delivered by quarter hour."""

    # batch id -> (kits reserved on a shelf, kits delivered, households reached, people)
    by_batch: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)
    regions: list[RegionFigures] = field(default_factory=list)
    parcels_delivered: int = 0
    parcels_failed: int = 0  # failed at least once and not delivered since
    parcels_failed_once: int = 0
    parcels_delivered_to_collector: int = 0
    timeline: list[DayFigures] = field(default_factory=list)

    @classmethod
    def of(
        cls, session: Session, donor: Donor, batch_ids: list[int], zone: ZoneInfo
    ) -> _LineFigures:
        found = cls()
        if not batch_ids:
            return found
        postgresql = session.get_bind().dialect.name == "postgresql"
        # One statement of three parts, each (part, key, status, two numbers): kits by
        # batch and parcel status; the households each batch reached and their people
        # (a household counts once per batch, however many of its parcels drew on it);
        # the donor's kits delivered by quarter hour.
        kits = select(
            literal(0),
            cast(ParcelKitTotal.batch_id, BigInteger),
            ParcelKitTotal.status,
            ParcelKitTotal.kits,
            literal(0),
        ).where(ParcelKitTotal.batch_id.in_(batch_ids))
        reached = (
            select(
                literal(1),
                cast(BatchHouseholdFigures.batch_id, BigInteger),
                literal(""),
                func.count(),
                func.sum(Household.members),
            )
            .join(Household, Household.id == BatchHouseholdFigures.household_id)
            .where(
                BatchHouseholdFigures.batch_id.in_(batch_ids),
                BatchHouseholdFigures.delivered_kits > 0,
            )
            .group_by(BatchHouseholdFigures.batch_id)
        )
        quarters = select(
            literal(2),
            DonorDeliveryQuarter.quarter,
            literal(""),
            DonorDeliveryQuarter.kits,
            literal(0),
        ).where(DonorDeliveryQuarter.donor_id == donor.id, DonorDeliveryQuarter.kits != 0)
        reserving = {s.value for s in RESERVING_STATUSES}
        by_batch: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        per_day: dict[date, int] = defaultdict(int)
        for part, key, status, a, b in session.execute(union_all(kits, reached, quarters)):
            if part == 0 and status in reserving:
                by_batch[int(key)][0] += int(a)
            elif part == 0 and status == ParcelStatus.DELIVERED.value:
                by_batch[int(key)][1] += int(a)
            elif part == 1:
                by_batch[int(key)][2:] = [int(a), int(b or 0)]
            elif part == 2:
                instant = datetime.fromtimestamp(int(key) * QUARTER_SECONDS, UTC)
                per_day[instant.astimezone(zone).date()] += int(a)
        found.by_batch = {k: (v[0], v[1], v[2], v[3]) for k, v in by_batch.items()}
        found.regions = _regions(session, donor, found, zone, postgresql)
        running = 0
        for day_ in sorted(per_day):
            running += per_day[day_]
            found.timeline.append(
                DayFigures(date=day_, delivered=per_day[day_], cumulative=running)
            )
        return found


def _regions(
    session: Session, donor: Donor, found: _LineFigures, zone: ZoneInfo, postgresql: bool
) -> list[RegionFigures]:
    """The donor's households grouped by regency (their place as it is now; a place's
    code, or for a household whose place matched no official one, its name: grouped by
    code, never dropped); the parcels' outcomes added up on `found` on the way."""
    f = DonorHouseholdFigures
    reached = f.delivered_parcels > 0
    rows = session.execute(
        select(
            func.coalesce(Household.province_code, Household.province),
            func.coalesce(Household.regency_code, Household.regency),
            func.sum(f.delivered_kits),
            func.sum(case((reached, 1), else_=0)),
            func.sum(case((reached, Household.members), else_=0)),
            func.sum(case((and_(reached, _vulnerable()), 1), else_=0)),
            func.sum(case((f.live_parcels > 0, 1), else_=0)),
            func.sum(f.collector_parcels),
            _epoch(func.min(f.first_delivered_at), postgresql),
            _epoch(func.max(f.last_delivered_at), postgresql),
            func.sum(f.delivered_parcels),
            func.sum(f.failed_parcels),
            func.sum(f.failed_once_parcels),
        )
        .join(Household, Household.id == f.household_id)
        .where(f.donor_id == donor.id)
        .group_by(
            func.coalesce(Household.province_code, Household.province),
            func.coalesce(Household.regency_code, Household.regency),
        )
    ).all()
    regions = []
    for province, regency, *numbers, first, last, delivered, failed, failed_once in rows:
        kits, households, people, vulnerable, targeted, collector = (int(v or 0) for v in numbers)
        found.parcels_delivered += int(delivered or 0)
        found.parcels_failed += int(failed or 0)
        found.parcels_failed_once += int(failed_once or 0)
        found.parcels_delivered_to_collector += collector
        if targeted == 0:  # a regency whose parcels were all cancelled
            continue
        regions.append(
            RegionFigures(
                province=province,  # its code or name: named below
                province_code="",
                regency=regency,
                delivered=kits,
                households_reached=households,
                people_reached=people,
                vulnerable_households_reached=vulnerable,
                households_targeted=targeted,
                delivered_to_collector=collector,
                regency_code="",  # its code or name is `regency`: named below
                first_delivery=_local_day(first, zone),
                last_delivery=_local_day(last, zone),
            )
        )
    _name_places(session, regions)
    return sorted(regions, key=lambda r: (r.province, r.regency))


def _donor_parcels(batch_ids: list[int]) -> Any:
    """The parcels holding kits of these batches (a subquery)."""
    return select(ParcelLine.parcel_id).where(ParcelLine.batch_id.in_(batch_ids))


def _feedback_figures(session: Session, batch_ids: list[int]) -> FeedbackFigures:
    """FeedbackFigures in one statement: a count per category, and each resolved
    feedback's seconds to resolve, one number per resolved feedback and never its text:
    the medians are taken here, as SQLite has no median to take them with."""
    if not batch_ids:
        return FeedbackFigures()
    postgresql = session.get_bind().dialect.name == "postgresql"
    targeted = (
        select(Parcel.household_id)
        .join(ParcelLine, ParcelLine.parcel_id == Parcel.id)
        .where(
            ParcelLine.batch_id.in_(batch_ids),
            Parcel.status != ParcelStatus.CANCELLED.value,
        )
    )
    attributed = or_(
        Feedback.parcel_id.in_(_donor_parcels(batch_ids)),
        and_(Feedback.parcel_id.is_(None), Feedback.household_id.in_(targeted)),
    )
    resolved = and_(
        Feedback.status.in_([FeedbackStatus.RESOLVED.value, FeedbackStatus.CLOSED.value]),
        Feedback.resolved_at.is_not(None),
    )
    counts = (
        select(literal(0), Feedback.category, func.count(), literal(0))
        .where(attributed)
        .group_by(Feedback.category)
    )
    durations = select(
        literal(1),
        Feedback.category,
        literal(0),
        _epoch(Feedback.resolved_at, postgresql) - _epoch(Feedback.created_at, postgresql),
    ).where(attributed, resolved)
    received: dict[str, int] = defaultdict(int)
    seconds: dict[str, list[int]] = defaultdict(list)
    for part, category, count, duration in session.execute(union_all(counts, durations)):
        if part == 0:
            received[category] = int(count)
        else:
            seconds[category].append(max(int(duration), 0))
    return FeedbackFigures(
        by_category=tuple(
            CategoryFigures(
                category,
                received=received[category],
                resolved=len(seconds[category]),
                median_days_to_resolve=_median_days(seconds[category]),
            )
            for category in FEEDBACK_CATEGORIES
        ),
        median_days_to_resolve=_median_days([s for d in seconds.values() for s in d]),
    )


def _pdm_figures(session: Session, batch_ids: list[int]) -> PdmFigures:
    """PdmFigures in one statement: the responses about the donor's parcels, summed."""
    if not batch_ids:
        return PdmFigures()
    responses, complete, satisfaction = session.execute(
        select(
            func.count(),
            func.sum(case((PdmResponse.received_complete, 1), else_=0)),
            func.sum(PdmResponse.satisfaction),
        ).where(PdmResponse.parcel_id.in_(_donor_parcels(batch_ids)))
    ).one()
    return PdmFigures(int(responses), int(complete or 0), int(satisfaction or 0))


def _name_places(session: Session, regions: list[RegionFigures]) -> None:
    """Each region's province and regency, grouped by code (or, with no code, by name):
    the official names and codes from the places list; a name kept as it was."""
    keys = {r.province for r in regions} | {r.regency for r in regions}
    if not keys:
        return
    named = dict(
        session.execute(
            select(Place.code, Place.name).where(
                Place.code.in_(keys), Place.level.in_(["province", "regency"])
            )
        ).all()
    )
    for region in regions:
        if region.province in named:
            region.province_code = region.province
            region.province = named[region.province_code]
        if region.regency in named and region.regency.startswith(region.province_code + "."):
            region.regency_code = region.regency
            region.regency = named[region.regency_code]


def _epoch(
    moment: ColumnElement[Any] | InstrumentedAttribute[Any], postgresql: bool
) -> ColumnElement[int]:
    """A UTC instant as whole seconds since 1970 (NULL stays NULL): a number, so that it
    rides in the union's numeric columns on both databases."""
    if postgresql:
        return cast(func.floor(extract("epoch", moment)), BigInteger)
    return cast(func.strftime("%s", moment), Integer)


def _local_day(epoch: int | None, zone: ZoneInfo) -> date | None:
    """The day, in `zone`, of an instant given as seconds since 1970."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(int(epoch), UTC).astimezone(zone).date()


def _batch_figures(
    session: Session, batches: Sequence[_BatchRow], batch_ids: list[int], lines: _LineFigures
) -> list[BatchFigures]:
    if not batch_ids:
        return []
    totals = session.execute(
        select(
            LedgerTotal.batch_id,
            LedgerTotal.warehouse_id,
            LedgerTotal.kind,
            LedgerTotal.quantity,
            LedgerTotal.reason,
        )
        .where(LedgerTotal.batch_id.in_(batch_ids))
        .order_by(LedgerTotal.reason)  # the losses by reason, in the database's order
    ).all()
    summaries = summarise_ledger_totals(batch_ids, (row[:4] for row in totals))
    for batch_id, (reserved, delivered, _households, _people) in lines.by_batch.items():
        summaries[batch_id].reserved = reserved
        summaries[batch_id].delivered = delivered
    lost_by_reason: dict[int, dict[str, int]] = defaultdict(dict)
    for batch_id, _warehouse, kind, quantity, reason in totals:
        if kind == MovementKind.LOSS and quantity:
            losses = lost_by_reason[batch_id]
            losses[reason] = losses.get(reason, 0) - int(quantity)
    figures = []
    for row in batches:
        s = summaries[row.id]
        _reserved, _delivered, households, members = lines.by_batch.get(row.id, (0, 0, 0, 0))
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
                kit_name=row.kit_name,
                kit_name_id=row.kit_name_id or "",
            )
        )
    return figures


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
