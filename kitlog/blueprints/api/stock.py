"""Batches, stock, movements, transfers and adjustments (warehouse, admin)."""

from __future__ import annotations

from collections.abc import Sequence

import marshmallow as ma
from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate
from sqlalchemy import select

from kitlog.blueprints.api.common import (
    ApiBlueprint,
    Code,
    Id,
    IsoDate,
    LocalDateTime,
    PageArgs,
    Quantity,
    Text,
    acting_user,
    get_or_404,
    id_part,
    page_of,
    page_of_list,
    record_action,
    resolve,
    resolve_id,
)
from kitlog.blueprints.api.problems import READ, WRITE, out_of_stock, problems
from kitlog.extensions import db
from kitlog.models import (
    MOVEMENT_KINDS,
    Donor,
    DonorBatch,
    KitType,
    MovementKind,
    StockMovement,
    Transfer,
    Warehouse,
)
from kitlog.security import require
from kitlog.services import stock as stock_service
from kitlog.services.queries import MovementFilter, batches_query, movements_query

blp = ApiBlueprint("api_stock", __name__, description="Donor batches and the stock ledger")

KITS = {"description": "A number of kits."}


# -- schemas -------------------------------------------------------------------------------


class BatchCreateSchema(ma.Schema):
    donor = Code(required=True, example="KOICA")
    kit_type = Code(required=True, example="HK-FAM")
    warehouse = Code(required=True, example="JKT-01")
    reference = Text(120, required=True, metadata={"example": "IOM-BP2MI/KOICA/2020-11"})
    lot = Text(60, required=True, metadata={"example": "KOICA-HK-2020-001"})
    expiry_date = IsoDate(load_default=None, allow_none=True)
    quantity_pledged = Quantity(required=True)
    quantity_received = Quantity(required=True)
    quantity_damaged = Quantity(load_default=0)
    received_date = IsoDate(required=True)


class BatchSchema(ma.Schema):
    """A donor batch and where its kits are (rule 4 of docs/design.md)."""

    id = fields.Integer(required=True)
    donor = fields.String(required=True, metadata={"description": "The donor's code."})
    kit_type = fields.String(required=True, metadata={"description": "The kit type's code."})
    warehouse = fields.String(
        required=True, metadata={"description": "The code of the warehouse it was received in."}
    )
    reference = fields.String(required=True)
    lot = fields.String(required=True)
    expiry_date = fields.Date(allow_none=True)
    quantity_pledged = fields.Integer(required=True)
    quantity_received = fields.Integer(required=True)
    quantity_damaged = fields.Integer(required=True)
    received_date = fields.Date(required=True)
    created_at = LocalDateTime()
    received = fields.Integer(required=True, metadata={"description": "Kits received (ledger)."})
    adjusted = fields.Integer(required=True, metadata={"description": "Signed adjustments."})
    lost = fields.Integer(required=True, metadata={"description": "Kits written off as loss."})
    on_hand = fields.Integer(required=True, metadata={"description": "Kits in warehouses."})
    reserved = fields.Integer(required=True, metadata={"description": "Part of on_hand."})
    available = fields.Integer(required=True, metadata={"description": "on_hand - reserved."})
    in_transit = fields.Integer(required=True, metadata=KITS)
    delivered = fields.Integer(required=True, metadata=KITS)


class StockArgs(PageArgs):
    warehouse = Code(metadata={"description": "Only this warehouse (its code)."})
    batch = Id(strict=False, metadata={"description": "Only this batch (its id)."})


class StockLevelSchema(ma.Schema):
    warehouse = fields.String(required=True, metadata={"description": "The warehouse's code."})
    batch = fields.Integer(required=True, metadata={"description": "The batch's id."})
    lot = fields.String()
    on_hand = fields.Integer(required=True, metadata=KITS)
    reserved = fields.Integer(required=True, metadata=KITS)
    available = fields.Integer(required=True, metadata={"description": "on_hand - reserved."})


class MovementArgs(StockArgs):
    kind = fields.String(validate=validate.OneOf(MOVEMENT_KINDS))
    date_from = IsoDate(metadata={"description": "From this day (local time), inclusive."})
    date_to = IsoDate(metadata={"description": "Up to this day (local time), inclusive."})


class MovementSchema(ma.Schema):
    """One row of the append-only ledger."""

    id = fields.Integer(required=True)
    batch = fields.Integer(required=True, metadata={"description": "The batch's id."})
    lot = fields.String()
    warehouse = fields.String(required=True, metadata={"description": "The warehouse's code."})
    kind = fields.String(required=True, metadata={"enum": list(MOVEMENT_KINDS)})
    quantity = fields.Integer(required=True, metadata={"description": "Signed number of kits."})
    reason = fields.String(required=True)
    transfer = fields.Integer(allow_none=True, metadata={"description": "The transfer's id."})
    user = fields.String(allow_none=True, metadata={"description": "Who recorded it."})
    created_at = LocalDateTime(required=True)


class TransferCreateSchema(ma.Schema):
    batch = Id(required=True)
    from_warehouse = Code(required=True, example="JKT-01")
    to_warehouse = Code(required=True, example="SBY-01")
    quantity = Quantity(required=True, min=1)
    note = Text(500, load_default="")


class TransferSchema(ma.Schema):
    id = fields.Integer(required=True)
    batch = fields.Integer(required=True)
    from_warehouse = fields.String(required=True)
    to_warehouse = fields.String(required=True)
    quantity = fields.Integer(required=True)
    note = fields.String(required=True)
    user = fields.String(allow_none=True)
    created_at = LocalDateTime(required=True)


class AdjustmentCreateSchema(ma.Schema):
    batch = Id(required=True)
    warehouse = Code(required=True, example="JKT-01")
    quantity = Quantity(
        required=True,
        min=-10_000_000,
        metadata={"description": "Signed: negative removes kits; a loss is always negative."},
    )
    kind = fields.String(
        required=True, validate=validate.OneOf([MovementKind.LOSS, MovementKind.ADJUSTMENT])
    )
    reason = Text(500, required=True, metadata={"example": "Water damage after flooding"})


# -- answers -------------------------------------------------------------------------------


def _dump_batches(batches: Sequence[DonorBatch]) -> list[dict]:
    """The batches with their ledger totals: one aggregate query for all of them."""
    summaries = stock_service.batch_summaries(db.session, [b.id for b in batches])
    items = []
    for batch in batches:
        s = summaries[batch.id]
        items.append(
            {
                "id": batch.id,
                "donor": batch.donor.code,
                "kit_type": batch.kit_type.code,
                "warehouse": batch.warehouse.code,
                "reference": batch.reference,
                "lot": batch.lot,
                "expiry_date": batch.expiry_date,
                "quantity_pledged": batch.quantity_pledged,
                "quantity_received": batch.quantity_received,
                "quantity_damaged": batch.quantity_damaged,
                "received_date": batch.received_date,
                "created_at": batch.created_at,
                "received": s.received,
                "adjusted": s.adjusted,
                "lost": s.lost,
                "on_hand": s.on_hand,
                "reserved": s.reserved,
                "available": s.available,
                "in_transit": s.in_transit,
                "delivered": s.delivered,
            }
        )
    return items


def _dump_movement(movement: StockMovement) -> dict:
    return {
        "id": movement.id,
        "batch": movement.batch_id,
        "lot": movement.batch.lot,
        "warehouse": movement.warehouse.code,
        "kind": movement.kind,
        "quantity": movement.quantity,
        "reason": movement.reason,
        "transfer": movement.transfer_id,
        "user": movement.user.name if movement.user else None,
        "created_at": movement.created_at,
    }


def _dump_transfer(transfer: Transfer) -> dict:
    return {
        "id": transfer.id,
        "batch": transfer.batch_id,
        "from_warehouse": transfer.from_warehouse.code,
        "to_warehouse": transfer.to_warehouse.code,
        "quantity": transfer.quantity,
        "note": transfer.note,
        "user": transfer.user.name if transfer.user else None,
        "created_at": transfer.created_at,
    }


def _filters(args: dict) -> tuple[Warehouse | None, DonorBatch | None]:
    """The warehouse and batch a query string names; 422 naming the field when unknown."""
    warehouse = resolve(Warehouse, args["warehouse"], "warehouse") if "warehouse" in args else None
    batch = resolve_id(DonorBatch, args["batch"], "batch") if "batch" in args else None
    return warehouse, batch


# -- batches -------------------------------------------------------------------------------


@blp.route("/batches", methods=["POST"])
@blp.arguments(BatchCreateSchema)
@blp.response(201, BatchSchema)
@problems(blp, *WRITE)
@require("stock.write")
def create_batch(data):
    """Receive a donor batch; on hand = received - damaged, the damaged kits a `loss`."""
    batch = stock_service.receive_batch(
        db.session,
        donor=resolve(Donor, data.pop("donor"), "donor"),
        kit_type=resolve(KitType, data.pop("kit_type"), "kit_type"),
        warehouse=resolve(Warehouse, data.pop("warehouse"), "warehouse"),
        user=acting_user(),
        **data,
    )
    return _dump_batches([batch])[0]


@blp.page_route("/batches", BatchSchema, "BatchPage")
@problems(blp, *READ)
@require("stock.read")
def list_batches(args):
    """List batches, earliest expiry first, with where their kits are."""
    return page_of(batches_query(), args["page"], args["per_page"], dump_all=_dump_batches)


@blp.route(f"/batches/{id_part('batch_id')}", methods=["GET"])
@blp.response(200, BatchSchema)
@problems(blp, *READ, 404)
@require("stock.read")
def get_batch(batch_id):
    """One batch with where its kits are."""
    batch = get_or_404(
        DonorBatch, batch_id, _l("There is no batch with the id %(id)s.", id=batch_id)
    )
    return _dump_batches([batch])[0]


# -- stock and the ledger ------------------------------------------------------------------


@blp.page_route("/stock", StockLevelSchema, "StockLevelPage", StockArgs)
@problems(blp, *READ)
@require("stock.read")
def list_stock(args):
    """On hand, reserved and available kits of each batch in each warehouse."""
    warehouse, batch = _filters(args)
    levels = stock_service.stock_levels(
        db.session,
        warehouse_id=warehouse.id if warehouse else None,
        batch_id=batch.id if batch else None,
    )
    page = page_of_list(levels, args["page"], args["per_page"])
    codes = dict(
        db.session.execute(
            select(Warehouse.id, Warehouse.code).where(
                Warehouse.id.in_({lv.warehouse_id for lv in page["items"]})
            )
        ).all()
    )
    lots = dict(
        db.session.execute(
            select(DonorBatch.id, DonorBatch.lot).where(
                DonorBatch.id.in_({lv.batch_id for lv in page["items"]})
            )
        ).all()
    )
    page["items"] = [
        {
            "warehouse": codes[lv.warehouse_id],
            "batch": lv.batch_id,
            "lot": lots[lv.batch_id],
            "on_hand": lv.on_hand,
            "reserved": lv.reserved,
            "available": lv.available,
        }
        for lv in page["items"]
    ]
    return page


@blp.page_route("/movements", MovementSchema, "MovementPage", MovementArgs)
@problems(blp, *READ)
@require("stock.read")
def list_movements(args):
    """The ledger, newest first, by batch, warehouse, kind and local date."""
    warehouse, batch = _filters(args)
    filters = MovementFilter(
        batch_id=batch.id if batch else None,
        warehouse_id=warehouse.id if warehouse else None,
        kind=args.get("kind"),
        date_from=args.get("date_from"),
        date_to=args.get("date_to"),
    )
    query = movements_query(filters, current_app.config["TIMEZONE"])
    return page_of(query, args["page"], args["per_page"], _dump_movement)


# -- writes --------------------------------------------------------------------------------


@blp.route("/transfers", methods=["POST"])
@blp.arguments(TransferCreateSchema)
@blp.response(201, TransferSchema)
@problems(blp, *WRITE)
@out_of_stock(blp)
@require("stock.write")
def create_transfer(data):
    """Move kits of a batch between warehouses; 409 when fewer are available."""
    transfer = stock_service.transfer_stock(
        db.session,
        batch=resolve_id(DonorBatch, data["batch"], "batch"),
        from_warehouse=resolve(Warehouse, data["from_warehouse"], "from_warehouse"),
        to_warehouse=resolve(Warehouse, data["to_warehouse"], "to_warehouse"),
        quantity=data["quantity"],
        note=data["note"],
        user=acting_user(),
    )
    return _dump_transfer(transfer)


@blp.route("/adjustments", methods=["POST"])
@blp.arguments(AdjustmentCreateSchema)
@blp.response(201, MovementSchema)
@problems(blp, *WRITE)
@out_of_stock(blp)
@require("stock.write")
def create_adjustment(data):
    """Record a loss or a signed adjustment, with a reason; never below zero (409)."""
    movement = stock_service.adjust_stock(
        db.session,
        batch=resolve_id(DonorBatch, data["batch"], "batch"),
        warehouse=resolve(Warehouse, data["warehouse"], "warehouse"),
        quantity=data["quantity"],
        kind=data["kind"],
        reason=data["reason"],
        user=acting_user(),
    )
    record_action(
        f"stock.{movement.kind}",
        "batch",
        movement.batch_id,
        detail={"warehouse": movement.warehouse_id, "quantity": movement.quantity},
    )
    return _dump_movement(movement)
