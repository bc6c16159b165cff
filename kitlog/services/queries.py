"""Read-side queries shared by the pages and the API (writes live in the other modules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from kitlog.models import DonorBatch, StockMovement, User
from kitlog.services.stock import BatchSummary, batch_summaries


@dataclass(frozen=True)
class MovementFilter:
    batch_id: int | None = None
    warehouse_id: int | None = None
    kind: str | None = None
    date_from: date | None = None  # inclusive, in the deployment's time zone
    date_to: date | None = None  # inclusive


def _day_start(day: date, tz: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz))


def movements_query(filters: MovementFilter, timezone: str = "Asia/Jakarta") -> Select:
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


def batches_query(donor_id: int | None = None) -> Select:
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
