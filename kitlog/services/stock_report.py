"""The stock report (IFRC style): per warehouse and period, each batch's opening balance,
kits in, kits out, losses with their reasons, adjustments and closing balance.

Every figure is a sum of the ledger (stock_movements) between two instants: the local
midnights that start the first day and follow the last day of the period, in the
deployment's time zone. Two aggregate queries (SUM ... GROUP BY with CASE on the kind and
the date) compute everything; nothing loops over movements. For every row,
opening + in - out - losses + adjustments = closing, because each movement before the
period's end is counted once in the opening or once in one term of the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session, joinedload

from kitlog.models import DonorBatch, MovementKind, StockMovement, Warehouse
from kitlog.names import kit_type_name
from kitlog.services.errors import InvalidValue

MAX_PERIOD_DAYS = 3660  # ten years: a longer period is a typing error


def local_midnight(day: date, timezone: str) -> datetime:
    """The instant a local day starts, in UTC (SQLite keeps UTC timestamps without their
    offset, so a bound must be a UTC instant)."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def default_period(today: date) -> tuple[date, date]:
    """This month so far: the first of the month to today."""
    return today.replace(day=1), today


@dataclass
class StockReportRow:
    """One batch in the warehouse over the period; `totals` rows have no batch."""

    batch_id: int | None
    lot: str
    donor_code: str
    donor_name: str
    kit_type_code: str
    kit_type_name: str
    expiry_date: date | None
    opening: int = 0
    receipts: int = 0
    transfers_in: int = 0
    returns: int = 0
    dispatches: int = 0  # kits out, as a positive number
    transfers_out: int = 0  # kits out, as a positive number
    losses: int = 0  # kits lost, as a positive number
    adjustments: int = 0  # signed
    closing: int = 0

    @property
    def kits_in(self) -> int:
        return self.receipts + self.transfers_in + self.returns

    @property
    def kits_out(self) -> int:
        return self.dispatches + self.transfers_out

    @property
    def balanced(self) -> bool:
        """opening + in - out - losses + adjustments = closing."""
        return (
            self.opening + self.kits_in - self.kits_out - self.losses + self.adjustments
            == self.closing
        )

    def add(self, other: StockReportRow) -> None:
        for name in FIGURES:
            setattr(self, name, getattr(self, name) + getattr(other, name))


FIGURES = (
    "opening",
    "receipts",
    "transfers_in",
    "returns",
    "dispatches",
    "transfers_out",
    "losses",
    "adjustments",
    "closing",
)


@dataclass(frozen=True)
class LossLine:
    """Kits of one batch lost in the period for one reason."""

    batch_id: int
    lot: str
    donor_code: str
    reason: str
    kits: int


@dataclass
class StockReport:
    warehouse_code: str
    warehouse_name: str
    date_from: date
    date_to: date  # inclusive
    timezone: str
    generated_at: datetime  # UTC
    rows: list[StockReportRow] = field(default_factory=list)
    donor_totals: list[StockReportRow] = field(default_factory=list)
    total: StockReportRow | None = None
    losses: list[LossLine] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return all(r.balanced for r in [*self.rows, *self.donor_totals]) and (
            self.total is None or self.total.balanced
        )


def check_period(date_from: date, date_to: date) -> None:
    """Refuse a period that ends before it starts, or one longer than ten years."""
    if date_to < date_from:
        raise InvalidValue(_l("The end date is before the start date."), field="to")
    if (date_to - date_from).days > MAX_PERIOD_DAYS:
        raise InvalidValue(_l("Choose a period of at most ten years."), field="to")


def stock_report(
    session: Session,
    warehouse: Warehouse,
    *,
    date_from: date,
    date_to: date,
    timezone: str,
    now: datetime | None = None,
) -> StockReport:
    """The stock report of one warehouse from `date_from` to `date_to` (both local days,
    inclusive). A batch appears when it had stock at the start or moved in the period."""
    check_period(date_from, date_to)
    start = local_midnight(date_from, timezone)
    end = local_midnight(date_to + timedelta(days=1), timezone)
    m = StockMovement
    in_period = and_(m.created_at >= start, m.created_at < end)

    def period_sum(kind: MovementKind, sign: int = 1) -> ColumnElement[int]:
        return func.coalesce(
            func.sum(case((and_(in_period, m.kind == kind), sign * m.quantity), else_=0)), 0
        )

    query = (
        select(
            m.batch_id,
            func.coalesce(func.sum(case((m.created_at < start, m.quantity), else_=0)), 0),
            period_sum(MovementKind.RECEIPT),
            period_sum(MovementKind.TRANSFER_IN),
            period_sum(MovementKind.RETURN),
            period_sum(MovementKind.DISPATCH, -1),
            period_sum(MovementKind.TRANSFER_OUT, -1),
            period_sum(MovementKind.LOSS, -1),
            period_sum(MovementKind.ADJUSTMENT),
            func.coalesce(func.sum(m.quantity), 0),
            func.coalesce(func.sum(case((in_period, 1), else_=0)), 0),
        )
        .where(m.warehouse_id == warehouse.id, m.created_at < end)
        .group_by(m.batch_id)
    )
    figures = {}
    for batch_id, *values, moved in session.execute(query):
        values = [int(v) for v in values]
        if values[0] or int(moved):  # stock at the start, or a movement in the period
            figures[batch_id] = values
    batches = {
        b.id: b
        for b in session.scalars(
            select(DonorBatch)
            .options(joinedload(DonorBatch.donor), joinedload(DonorBatch.kit_type))
            .where(DonorBatch.id.in_(list(figures)))
        )
    }

    rows = []
    for batch_id, values in figures.items():
        batch = batches[batch_id]
        row = StockReportRow(
            batch_id=batch_id,
            lot=batch.lot,
            donor_code=batch.donor.code,
            donor_name=batch.donor.name,
            kit_type_code=batch.kit_type.code,
            kit_type_name=kit_type_name(batch.kit_type),
            expiry_date=batch.expiry_date,
        )
        for name, value in zip(FIGURES, values, strict=True):
            setattr(row, name, value)
        rows.append(row)
    rows.sort(key=lambda r: (r.donor_code, r.expiry_date is None, r.expiry_date, r.lot))

    donor_totals: dict[str, StockReportRow] = {}
    total = StockReportRow(None, "", "", "", "", "", None)
    for row in rows:
        donor_total = donor_totals.setdefault(
            row.donor_code, StockReportRow(None, "", row.donor_code, row.donor_name, "", "", None)
        )
        donor_total.add(row)
        total.add(row)

    losses = [
        LossLine(
            batch_id=batch_id,
            lot=batches[batch_id].lot,
            donor_code=batches[batch_id].donor.code,
            reason=reason,
            kits=int(kits),
        )
        for batch_id, reason, kits in session.execute(
            select(m.batch_id, m.reason, -func.sum(m.quantity))
            .where(m.warehouse_id == warehouse.id, m.kind == MovementKind.LOSS, in_period)
            .group_by(m.batch_id, m.reason)
        )
        if batch_id in batches
    ]
    losses.sort(key=lambda line: (line.donor_code, line.lot, -line.kits, line.reason))

    return StockReport(
        warehouse_code=warehouse.code,
        warehouse_name=warehouse.name,
        date_from=date_from,
        date_to=date_to,
        timezone=timezone,
        generated_at=now or datetime.now(UTC),
        rows=rows,
        donor_totals=list(donor_totals.values()),
        total=total,
        losses=losses,
    )


__all__ = [
    "LossLine",
    "StockReport",
    "StockReportRow",
    "check_period",
    "default_period",
    "local_midnight",
    "stock_report",
]
