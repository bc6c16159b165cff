"""Read-side queries shared by the pages and the API (writes live in the other modules)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from kitlog.models import Donor, DonorBatch, Household, KitType, StockMovement, User, Warehouse
from kitlog.services.stock import BatchSummary, StockLevel, batch_summaries, stock_levels


@dataclass(frozen=True)
class MovementFilter:
    batch_id: int | None = None
    warehouse_id: int | None = None
    kind: str | None = None
    date_from: date | None = None  # inclusive, in the deployment's time zone
    date_to: date | None = None  # inclusive


def _day_start(day: date, tz: str) -> datetime:
    """Midnight of a local day, as a UTC instant.

    SQLite keeps timestamps as UTC text without their offset, so a bound must be a UTC
    instant too; a bound left in local time would shift every day by the UTC offset.
    """
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def movements_query(
    filters: MovementFilter, timezone: str = "Asia/Jakarta"
) -> Select[StockMovement]:
    """The ledger, newest first, narrowed by batch, warehouse, kind and local dates."""
    query = (
        select(StockMovement)
        .options(
            joinedload(StockMovement.batch).joinedload(DonorBatch.donor),
            joinedload(StockMovement.warehouse),
            joinedload(StockMovement.user),
        )
        .order_by(StockMovement.created_at.desc(), StockMovement.id.desc())
    )
    if filters.batch_id is not None:
        query = query.where(StockMovement.batch_id == filters.batch_id)
    if filters.warehouse_id is not None:
        query = query.where(StockMovement.warehouse_id == filters.warehouse_id)
    if filters.kind:
        query = query.where(StockMovement.kind == filters.kind)
    if filters.date_from:
        query = query.where(StockMovement.created_at >= _day_start(filters.date_from, timezone))
    if filters.date_to:
        query = query.where(
            StockMovement.created_at < _day_start(filters.date_to + timedelta(days=1), timezone)
        )
    return query


def batches_query(donor_id: int | None = None) -> Select[DonorBatch]:
    """Batches with donor, kit type and warehouse, earliest expiry first."""
    query = select(DonorBatch).options(
        joinedload(DonorBatch.donor),
        joinedload(DonorBatch.kit_type),
        joinedload(DonorBatch.warehouse),
    )
    if donor_id is not None:
        query = query.where(DonorBatch.donor_id == donor_id)
    return query.order_by(DonorBatch.expiry_date.is_(None), DonorBatch.expiry_date, DonorBatch.id)


def batches_for(session: Session, user: User | None = None) -> list[DonorBatch]:
    """Every batch, or a donor user's own batches only."""
    donor_id = user.donor_id if user is not None and user.role == "donor" else None
    return list(session.scalars(batches_query(donor_id)).unique())


def expiring_batches(
    session: Session, *, today: date, within_days: int = 90, donor_id: int | None = None
) -> list[tuple[DonorBatch, BatchSummary]]:
    """Batches with kits on hand that expire within the window (or already have)."""
    limit = today + timedelta(days=within_days)
    query = batches_query(donor_id).where(
        DonorBatch.expiry_date.is_not(None), DonorBatch.expiry_date <= limit
    )
    batches = list(session.scalars(query).unique())
    summaries = batch_summaries(session, [b.id for b in batches])
    return [(b, summaries[b.id]) for b in batches if summaries[b.id].on_hand > 0]


# --- Reads for the HTML pages -------------------------------------------------------


def donors_by_code(session: Session) -> list[Donor]:
    """Every donor, by code."""
    return list(session.scalars(select(Donor).order_by(Donor.code)))


def kit_types_by_code(session: Session) -> list[KitType]:
    """Every kit type with its contents, by code."""
    query = select(KitType).options(selectinload(KitType.contents)).order_by(KitType.code)
    return list(session.scalars(query))


def warehouses_by_code(session: Session) -> list[Warehouse]:
    """Every warehouse, by code."""
    return list(session.scalars(select(Warehouse).order_by(Warehouse.code)))


def users_by_name(session: Session) -> list[User]:
    """Every user account, active ones first, by name."""
    query = (
        select(User)
        .options(joinedload(User.donor))
        .order_by(User.active.desc(), User.name, User.email)
    )
    return list(session.scalars(query))


def batches_with_summaries(
    session: Session, user: User | None = None
) -> list[tuple[DonorBatch, BatchSummary]]:
    """Every batch (a donor user's own only) with where its kits are."""
    batches = batches_for(session, user)
    summaries = batch_summaries(session, [b.id for b in batches])
    return [(b, summaries[b.id]) for b in batches]


def stock_by_warehouse(
    session: Session, *, batch_id: int | None = None
) -> list[tuple[Warehouse, list[tuple[DonorBatch, StockLevel]]]]:
    """Stock that is there (on hand or reserved), grouped by warehouse, then batch."""
    levels = [
        level
        for level in stock_levels(session, batch_id=batch_id)
        if level.on_hand or level.reserved
    ]
    warehouses = {
        w.id: w
        for w in session.scalars(
            select(Warehouse).where(Warehouse.id.in_({lv.warehouse_id for lv in levels}))
        )
    }
    batches = {
        b.id: b
        for b in session.scalars(
            batches_query().where(DonorBatch.id.in_({lv.batch_id for lv in levels}))
        ).unique()
    }
    grouped: dict[int, list[tuple[DonorBatch, StockLevel]]] = {}
    for level in levels:
        grouped.setdefault(level.warehouse_id, []).append((batches[level.batch_id], level))
    order = sorted(grouped, key=lambda wid: warehouses[wid].code)
    return [
        (warehouses[wid], sorted(grouped[wid], key=lambda row: (row[0].lot, row[0].id)))
        for wid in order
    ]


@dataclass(frozen=True)
class KitTotals:
    """A page's rows added up once, so that a total shown is the sum of the rows shown.

    Warehouse stock levels have no received, lost, in-transit or delivered figures; those
    totals stay 0 for them.
    """

    on_hand: int = 0
    reserved: int = 0
    received: int = 0
    lost: int = 0
    in_transit: int = 0
    delivered: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def kit_totals(figures: Iterable[StockLevel | BatchSummary]) -> KitTotals:
    """The totals of stock levels (the stock dashboard) or of batch summaries (a donor's)."""
    rows = list(figures)
    summaries = [row for row in rows if isinstance(row, BatchSummary)]
    return KitTotals(
        on_hand=sum(row.on_hand for row in rows),
        reserved=sum(row.reserved for row in rows),
        received=sum(s.received for s in summaries),
        lost=sum(s.lost for s in summaries),
        in_transit=sum(s.in_transit for s in summaries),
        delivered=sum(s.delivered for s in summaries),
    )


def households_registered_by(session: Session, user: User) -> int:
    """How many households this user has registered (by hand or by import)."""
    return session.execute(
        select(func.count()).select_from(Household).where(Household.created_by_id == user.id)
    ).scalar_one()
