"""Reference data: donors, kit types, warehouses (read: staff; write: admin)."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app
from marshmallow import fields, validate
from sqlalchemy import select

from kitlog.blueprints.api.common import (
    ApiBlueprint,
    DecimalNumber,
    PageArgs,
    Text,
    page_of,
    page_schema,
)
from kitlog.blueprints.api.problems import READ, WRITE, problems
from kitlog.extensions import db
from kitlog.models import Donor, KitType, Warehouse
from kitlog.models.reference import MAX_TIMEZONE
from kitlog.security import require
from kitlog.services import reference as reference_service
from kitlog.services.reference import ContentLine

blp = ApiBlueprint("api_reference", __name__, description="Donors, kit types and warehouses")


class DonorSchema(ma.Schema):
    id = fields.Integer(dump_only=True)
    code = Text(32, required=True)
    name = Text(200, required=True)
    country = Text(100, load_default="")


class KitItemSchema(ma.Schema):
    item = Text(200, required=True)
    quantity = fields.Integer(strict=True, required=True)
    unit = Text(40, required=True)


class KitTypeSchema(ma.Schema):
    id = fields.Integer(dump_only=True)
    code = Text(32, required=True)
    name = Text(200, required=True)
    weight_kg = DecimalNumber(3, required=True, metadata={"description": "Of one kit."})
    volume_m3 = DecimalNumber(4, required=True, metadata={"description": "Of one kit."})
    contents = fields.List(
        fields.Nested(KitItemSchema), required=True, validate=validate.Length(min=1, max=100)
    )


class WarehouseSchema(ma.Schema):
    id = fields.Integer(dump_only=True)
    code = Text(32, required=True)
    name = Text(200, required=True)
    province = Text(100, required=True)
    regency = Text(100, required=True)
    address = Text(500, load_default="")
    timezone = Text(
        MAX_TIMEZONE,
        load_default="",
        metadata={
            "description": "The IANA time zone its manifests, scans and deliveries are shown "
            "in; when empty or not given, its province's (WIB Asia/Jakarta, WITA "
            "Asia/Makassar, WIT Asia/Jayapura).",
            "example": "Asia/Makassar",
        },
    )


def _dump_kit_type(kit_type: KitType) -> dict:
    return {
        "id": kit_type.id,
        "code": kit_type.code,
        "name": kit_type.name,
        "weight_kg": float(kit_type.weight_kg),
        "volume_m3": float(kit_type.volume_m3),
        "contents": [
            {"item": c.item, "quantity": c.quantity, "unit": c.unit} for c in kit_type.contents
        ],
    }


@blp.route("/donors", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(DonorSchema, "DonorPage"))
@problems(blp, *READ)
@require("reference.read")
def list_donors(args):
    """List donors."""
    query = select(Donor).order_by(Donor.code)
    return page_of(query, args["page"], args["per_page"], DonorSchema().dump)


@blp.route("/donors", methods=["POST"])
@blp.arguments(DonorSchema)
@blp.response(201, DonorSchema)
@problems(blp, *WRITE, 409)
@require("reference.write")
def create_donor(data):
    """Create a donor."""
    donor = reference_service.create_donor(db.session, **data)
    return donor


@blp.route("/donors/<code:code>", methods=["GET"])
@blp.response(200, DonorSchema)
@problems(blp, *READ, 404)
@require("reference.read")
def get_donor(code):
    """One donor by code."""
    return reference_service.get_by_code(db.session, Donor, code, "code")


@blp.route("/kit-types", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(KitTypeSchema, "KitTypePage"))
@problems(blp, *READ)
@require("reference.read")
def list_kit_types(args):
    """List kit types with their contents."""
    query = select(KitType).order_by(KitType.code)
    return page_of(query, args["page"], args["per_page"], _dump_kit_type)


@blp.route("/kit-types", methods=["POST"])
@blp.arguments(KitTypeSchema)
@blp.response(201, KitTypeSchema)
@problems(blp, *WRITE, 409)
@require("reference.write")
def create_kit_type(data):
    """Create a kit type with its contents."""
    contents = [ContentLine(**line) for line in data.pop("contents")]
    kit_type = reference_service.create_kit_type(db.session, contents=contents, **data)
    return _dump_kit_type(kit_type)


@blp.route("/kit-types/<code:code>", methods=["GET"])
@blp.response(200, KitTypeSchema)
@problems(blp, *READ, 404)
@require("reference.read")
def get_kit_type(code):
    """One kit type by code."""
    return _dump_kit_type(reference_service.get_by_code(db.session, KitType, code, "code"))


@blp.route("/warehouses", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(WarehouseSchema, "WarehousePage"))
@problems(blp, *READ)
@require("reference.read")
def list_warehouses(args):
    """List warehouses."""
    query = select(Warehouse).order_by(Warehouse.code)
    return page_of(query, args["page"], args["per_page"], WarehouseSchema().dump)


@blp.route("/warehouses", methods=["POST"])
@blp.arguments(WarehouseSchema)
@blp.response(201, WarehouseSchema)
@problems(blp, *WRITE, 409)
@require("reference.write")
def create_warehouse(data):
    """Create a warehouse."""
    warehouse = reference_service.create_warehouse(
        db.session, **data, default_timezone=current_app.config["TIMEZONE"]
    )
    return warehouse


@blp.route("/warehouses/<code:code>", methods=["GET"])
@blp.response(200, WarehouseSchema)
@problems(blp, *READ, 404)
@require("reference.read")
def get_warehouse(code):
    """One warehouse by code."""
    return reference_service.get_by_code(db.session, Warehouse, code, "code")
