"""Receiving, transfers, adjustments and losses; stock derived from the ledger.

Every change is a new StockMovement. The check that enough stock is available and the
insert of the movement happen in one transaction, under a lock the database enforces
(kitlog.services.locking), so two people acting at once cannot oversell a batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from kitlog.models import (
    DAMAGED_AT_RECEIPT,
    RESERVING_STATUSES,
    Donor,
    DonorBatch,
    KitType,
    LedgerTotal,
    MovementKind,
    Parcel,
    ParcelKitTotal,
    ParcelLine,
    ParcelStatus,
    Round,
    StockMovement,
    Transfer,
    User,
    Warehouse,
)
from kitlog.models.base import utcnow
from kitlog.services.errors import InvalidValue, OutOfStock
from kitlog.services.locking import lock_batches

MAX_QUANTITY = 10_000_000
MAX_REASON = 500


class Kits(int):
    """A number of kits that prints in the reader's locale (5.000 in id, 5,000 in en)."""

    def __str__(self) -> str:
        return str(format_decimal(int(self)))


@dataclass(frozen=True)
class StockLevel:
    """One batch in one warehouse."""

    warehouse_id: int
    batch_id: int
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass
class BatchSummary:
    """Where every kit of one batch is, in the terms of rule 4 of docs/design.md."""

    batch_id: int
    received: int = 0
    adjusted: int = 0
    lost: int = 0
    on_hand: int = 0
    reserved: int = 0
    dispatched: int = 0
    returned: int = 0
    delivered: int = 0
    by_warehouse: dict[int, int] = field(default_factory=dict)

    @property
    def in_transit(self) -> int:
        return self.dispatched - self.returned - self.delivered

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def reconciled(self) -> bool:
        """received + adjusted = lost + on hand + in transit + delivered."""
        return (
            self.received + self.adjusted
            == self.lost + self.on_hand + self.in_transit + self.delivered
        )


def _check_quantity(value: int, field_name: str, *, allow_zero: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(_l("Enter a whole number of kits."), field=field_name)
    low = 0 if allow_zero else 1
    if not low <= value <= MAX_QUANTITY:
        raise InvalidValue(
            _l("Enter a number of kits from %(low)s to %(high)s.", low=low, high=MAX_QUANTITY),
            field=field_name,
        )


def _check_reason(reason: str, field_name: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidValue(_l("Give a reason."), field=field_name)
    if len(reason) > MAX_REASON:
        raise InvalidValue(
            _l("Keep the reason under %(n)s characters.", n=MAX_REASON), field=field_name
        )
    return reason


def _movement(
    session: Session,
    batch: DonorBatch,
    warehouse: Warehouse,
    kind: str,
    quantity: int,
    *,
    reason: str = "",
    transfer: Transfer | None = None,
    user: User | None,
    now: datetime,
) -> StockMovement:
    """One line of the ledger, by whom and when."""
    movement = StockMovement(
        batch=batch,
        warehouse=warehouse,
        kind=kind,
        quantity=quantity,
        reason=reason,
        transfer=transfer,
        user=user,
        created_at=now,
    )
    session.add(movement)
    return movement


def receive_batch(
    session: Session,
    *,
    donor: Donor,
    kit_type: KitType,
    warehouse: Warehouse,
    reference: str,
    lot: str,
    expiry_date: date | None,
    quantity_pledged: int,
    quantity_received: int,
    quantity_damaged: int = 0,
    received_date: date,
    user: User | None,
    now: datetime | None = None,
) -> DonorBatch:
    """Record a donor batch arriving; damaged kits are written off at once as a `loss`."""
    _check_quantity(quantity_pledged, "quantity_pledged", allow_zero=True)
    _check_quantity(quantity_received, "quantity_received")
    _check_quantity(quantity_damaged, "quantity_damaged", allow_zero=True)
    if quantity_damaged > quantity_received:
        raise InvalidValue(
            _l("Damaged kits cannot be more than the kits received."), field="quantity_damaged"
        )
    if not (reference or "").strip():
        raise InvalidValue(_l("Give the agreement or grant reference."), field="reference")
    if not (lot or "").strip():
        raise InvalidValue(_l("Give the lot number."), field="lot")
    now = now or utcnow()
    batch = DonorBatch(
        donor=donor,
        kit_type=kit_type,
        warehouse=warehouse,
        reference=reference.strip(),
        lot=lot.strip(),
        expiry_date=expiry_date,
        quantity_pledged=quantity_pledged,
        quantity_received=quantity_received,
        quantity_damaged=quantity_damaged,
        received_date=received_date,
        created_by=user,
        created_at=now,
    )
    session.add(batch)
    session.flush()
    _movement(
        session, batch, warehouse, MovementKind.RECEIPT, quantity_received, user=user, now=now
    )
    if quantity_damaged:
        _movement(
            session,
            batch,
            warehouse,
            MovementKind.LOSS,
            -quantity_damaged,
            reason=DAMAGED_AT_RECEIPT,
            user=user,
            now=now,
        )
    session.flush()
    return batch


def _require_available(
    session: Session, batch: DonorBatch, warehouse: Warehouse, quantity: int, field_name: str
) -> None:
    level = stock_level(session, batch_id=batch.id, warehouse_id=warehouse.id)
    if level.available < quantity:
        raise OutOfStock(
            _l(
                "Not enough stock of lot %(lot)s in %(warehouse)s: %(requested)s kits needed,"
                " %(available)s available.",
                lot=batch.lot,
                warehouse=warehouse.code,
                requested=Kits(quantity),
                available=Kits(level.available),
            ),
            requested=quantity,
            available=level.available,
            field=field_name,
        )


def transfer_stock(
    session: Session,
    *,
    batch: DonorBatch,
    from_warehouse: Warehouse,
    to_warehouse: Warehouse,
    quantity: int,
    note: str = "",
    user: User | None,
    now: datetime | None = None,
) -> Transfer:
    """Move kits between warehouses; the two movements always sum to zero."""
    _check_quantity(quantity, "quantity")
    if from_warehouse.id == to_warehouse.id:
        raise InvalidValue(_l("Choose two different warehouses."), field="to_warehouse")
    if len(note or "") > MAX_REASON:
        raise InvalidValue(_l("Keep the note under %(n)s characters.", n=MAX_REASON), field="note")
    lock_batches(session, [batch.id])
    _require_available(session, batch, from_warehouse, quantity, "quantity")
    now = now or utcnow()
    transfer = Transfer(
        batch=batch,
        from_warehouse=from_warehouse,
        to_warehouse=to_warehouse,
        quantity=quantity,
        note=(note or "").strip(),
        user=user,
        created_at=now,
    )
    session.add(transfer)
    session.flush()
    for warehouse, kind, kits in (
        (from_warehouse, MovementKind.TRANSFER_OUT, -quantity),
        (to_warehouse, MovementKind.TRANSFER_IN, quantity),
    ):
        _movement(
            session,
            batch,
            warehouse,
            kind,
            kits,
            reason=transfer.note,
            transfer=transfer,
            user=user,
            now=now,
        )
    session.flush()
    return transfer


def adjust_stock(
    session: Session,
    *,
    batch: DonorBatch,
    warehouse: Warehouse,
    quantity: int,
    kind: str,
    reason: str,
    user: User | None,
    now: datetime | None = None,
) -> StockMovement:
    """Record a loss (negative) or a signed adjustment, with a reason; never below zero."""
    if kind not in (MovementKind.LOSS, MovementKind.ADJUSTMENT):
        raise InvalidValue(_l("Choose a loss or an adjustment."), field="kind")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidValue(_l("Enter a whole number of kits."), field="quantity")
    if quantity == 0:
        raise InvalidValue(_l("A change of zero kits changes nothing."), field="quantity")
    if kind == MovementKind.LOSS and quantity > 0:
        raise InvalidValue(_l("A loss removes kits: give a negative quantity."), field="quantity")
    _check_quantity(abs(quantity), "quantity")
    reason = _check_reason(reason)
    lock_batches(session, [batch.id])
    if quantity < 0:
        _require_available(session, batch, warehouse, -quantity, "quantity")
    movement = _movement(
        session, batch, warehouse, kind, quantity, reason=reason, user=user, now=now or utcnow()
    )
    session.flush()
    return movement


def reserved_quantities(
    session: Session, *, warehouse_id: int | None = None, batch_ids: list[int] | None = None
) -> dict[tuple[int, int], int]:
    """Kits held for parcels on the shelf (allocated, packed or returned), by
    (warehouse id, batch id): one SUM ... GROUP BY over the parcels' lines."""
    query = (
        select(Round.warehouse_id, ParcelLine.batch_id, func.sum(ParcelLine.kits))
        .join(Parcel, Parcel.id == ParcelLine.parcel_id)
        .join(Round, Round.id == Parcel.round_id)
        .where(Parcel.status.in_([s.value for s in RESERVING_STATUSES]))
        .group_by(Round.warehouse_id, ParcelLine.batch_id)
    )
    if warehouse_id is not None:
        query = query.where(Round.warehouse_id == warehouse_id)
    if batch_ids is not None:
        query = query.where(ParcelLine.batch_id.in_(batch_ids))
    return {(w, b): int(kits) for w, b, kits in session.execute(query)}


def stock_levels(
    session: Session, *, warehouse_id: int | None = None, batch_id: int | None = None
) -> list[StockLevel]:
    """On hand, reserved and available per warehouse and batch: one SUM ... GROUP BY."""
    query = select(
        StockMovement.warehouse_id, StockMovement.batch_id, func.sum(StockMovement.quantity)
    ).group_by(StockMovement.warehouse_id, StockMovement.batch_id)
    if warehouse_id is not None:
        query = query.where(StockMovement.warehouse_id == warehouse_id)
    if batch_id is not None:
        query = query.where(StockMovement.batch_id == batch_id)
    reserved = reserved_quantities(
        session, warehouse_id=warehouse_id, batch_ids=None if batch_id is None else [batch_id]
    )
    levels = [
        StockLevel(w, b, int(total or 0), reserved.get((w, b), 0))
        for w, b, total in session.execute(
            query.order_by(StockMovement.warehouse_id, StockMovement.batch_id)
        )
    ]
    return levels


def stock_level(session: Session, *, batch_id: int, warehouse_id: int) -> StockLevel:
    levels = stock_levels(session, warehouse_id=warehouse_id, batch_id=batch_id)
    return levels[0] if levels else StockLevel(warehouse_id, batch_id, 0, 0)


def batch_summaries(
    session: Session, batch_ids: list[int] | None = None
) -> dict[int, BatchSummary]:
    """Every batch's received, adjusted, lost, on hand, reserved, in transit and delivered:
    one GROUP BY over the ledger, one over the parcels' lines."""
    summaries = ledger_summaries(session, batch_ids)
    for batch_id, reserved, delivered in shelf_and_delivered_kits(session, batch_ids):
        if batch_id in summaries:
            summaries[batch_id].reserved += reserved
            summaries[batch_id].delivered += delivered
    return summaries


def ledger_summaries(
    session: Session, batch_ids: list[int] | None = None
) -> dict[int, BatchSummary]:
    """The ledger's part of batch_summaries() (reserved and delivered left at 0), from
    the ledger's totals by batch, warehouse and kind that its trigger keeps
    (models.LedgerTotal): a few rows a batch, whatever the length of the ledger."""
    query = select(
        LedgerTotal.batch_id, LedgerTotal.warehouse_id, LedgerTotal.kind, LedgerTotal.quantity
    )
    ids_query = select(DonorBatch.id)
    if batch_ids is not None:
        query = query.where(LedgerTotal.batch_id.in_(batch_ids))
        ids_query = ids_query.where(DonorBatch.id.in_(batch_ids))
    return summarise_ledger_totals(session.scalars(ids_query), session.execute(query))


def summarise_ledger_totals(
    batch_ids: Iterable[int], totals: Iterable[tuple[int, int, str, int]]
) -> dict[int, BatchSummary]:
    """BatchSummary's ledger figures of these batches from rows of the ledger's totals
    (batch id, warehouse id, kind, quantity)."""
    summaries = {bid: BatchSummary(bid) for bid in batch_ids}
    for batch_id, warehouse_id, kind, total in totals:
        s = summaries.setdefault(batch_id, BatchSummary(batch_id))
        quantity = int(total)
        if kind == MovementKind.RECEIPT:
            s.received += quantity
        elif kind == MovementKind.ADJUSTMENT:
            s.adjusted += quantity
        elif kind == MovementKind.LOSS:
            s.lost -= quantity
        elif kind == MovementKind.DISPATCH:
            s.dispatched -= quantity
        elif kind == MovementKind.RETURN:
            s.returned += quantity
        s.on_hand += quantity
        s.by_warehouse[warehouse_id] = s.by_warehouse.get(warehouse_id, 0) + quantity
    return summaries


def shelf_and_delivered_kits(
    session: Session, batch_ids: list[int] | None = None
) -> list[tuple[int, int, int]]:
    """(batch id, kits reserved on a shelf, kits delivered), from the kits by batch and
    parcel status that the parcels' triggers keep (models.ParcelKitTotal): the same
    figures as reserved_quantities() summed over the warehouses, and parcel_kits() of
    delivered parcels."""
    reserving = [s.value for s in RESERVING_STATUSES]
    status = ParcelKitTotal.status
    query = (
        select(
            ParcelKitTotal.batch_id,
            func.sum(case((status.in_(reserving), ParcelKitTotal.kits), else_=0)),
            func.sum(case((status == ParcelStatus.DELIVERED.value, ParcelKitTotal.kits), else_=0)),
        )
        .where(status.in_([*reserving, ParcelStatus.DELIVERED.value]))
        .group_by(ParcelKitTotal.batch_id)
    )
    if batch_ids is not None:
        query = query.where(ParcelKitTotal.batch_id.in_(batch_ids))
    return [(b, int(r or 0), int(d or 0)) for b, r, d in session.execute(query)]


def parcel_kits(
    session: Session, statuses: list[str], *, batch_ids: list[int] | None = None
) -> dict[int, int]:
    """Kits in the lines of parcels of these statuses, by batch: one SUM ... GROUP BY."""
    query = (
        select(ParcelLine.batch_id, func.sum(ParcelLine.kits))
        .join(Parcel, Parcel.id == ParcelLine.parcel_id)
        .where(Parcel.status.in_([str(s) for s in statuses]))
        .group_by(ParcelLine.batch_id)
    )
    if batch_ids is not None:
        query = query.where(ParcelLine.batch_id.in_(batch_ids))
    return {batch_id: int(kits) for batch_id, kits in session.execute(query)}


def reconciliation_problems(session: Session) -> list[str]:
    """Everything that does not add up, in plain words; empty when every batch reconciles."""
    problems: list[str] = []
    batches = {b.id: b for b in session.scalars(select(DonorBatch))}
    summaries = batch_summaries(session)
    on_the_road = parcel_kits(session, [ParcelStatus.DISPATCHED, ParcelStatus.FAILED])
    reserved_by_batch: dict[int, dict[int, int]] = defaultdict(dict)
    for (warehouse_id, batch_id), kits in reserved_quantities(session).items():
        reserved_by_batch[batch_id][warehouse_id] = kits
    transfer_sums: dict[int | None, int] = defaultdict(int)
    for transfer_id, total in session.execute(
        select(StockMovement.transfer_id, func.sum(StockMovement.quantity))
        .where(StockMovement.transfer_id.is_not(None))
        .group_by(StockMovement.transfer_id)
    ):
        transfer_sums[transfer_id] = int(total)
    for transfer_id, total in transfer_sums.items():
        if total != 0:
            problems.append(f"transfer {transfer_id}: its movements sum to {total}, not 0")
    for batch_id, s in sorted(summaries.items()):
        batch = batches.get(batch_id)
        name = f"batch {batch_id} ({batch.lot})" if batch else f"batch {batch_id} (missing!)"
        if batch is not None and s.received != batch.quantity_received:
            problems.append(
                f"{name}: receipts in the ledger {s.received} != quantity received "
                f"{batch.quantity_received}"
            )
        for warehouse_id, on_hand in sorted(s.by_warehouse.items()):
            if on_hand < 0:
                problems.append(f"{name}: warehouse {warehouse_id} is below zero ({on_hand})")
        if s.reserved > s.on_hand:
            problems.append(f"{name}: reserved {s.reserved} exceeds on hand {s.on_hand}")
        for warehouse_id, kits in sorted(reserved_by_batch.get(batch_id, {}).items()):
            if kits > s.by_warehouse.get(warehouse_id, 0):
                problems.append(
                    f"{name}: warehouse {warehouse_id} holds {s.by_warehouse.get(warehouse_id, 0)}"
                    f" but parcels reserve {kits} there"
                )
        if s.in_transit < 0:
            problems.append(f"{name}: in transit is negative ({s.in_transit})")
        if s.in_transit != on_the_road.get(batch_id, 0):
            problems.append(
                f"{name}: the ledger has {s.in_transit} in transit but dispatched and failed"
                f" parcels carry {on_the_road.get(batch_id, 0)}"
            )
        if not s.reconciled:
            problems.append(
                f"{name}: received {s.received} + adjusted {s.adjusted} != lost {s.lost}"
                f" + on hand {s.on_hand} + in transit {s.in_transit}"
                f" + delivered {s.delivered}"
            )
    return problems
