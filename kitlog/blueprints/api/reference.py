"""Reference data: donors, kit types, warehouses (read: staff; write: admin)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import current_app
from marshmallow import fields, validate
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from kitlog.blueprints.api.common import (
    ApiBlueprint,
    DecimalNumber,
    Text,
    described,
    page_of,
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
    item = Text(200, required=True, metadata={"description": "The item in English."})
    item_id = Text(
        200,
        load_default="",
        metadata={
            "description": "The item in Indonesian; when empty or not given, pages in "
            "Indonesian show the English one.",
            "example": "Masker kain",
        },
    )
    quantity = fields.Integer(strict=True, required=True)
    unit = Text(40, required=True)


class KitTypeSchema(ma.Schema):
    id = fields.Integer(dump_only=True)
    code = Text(32, required=True)
    name = Text(200, required=True, metadata={"description": "Its name in English."})
    name_id = Text(
        200,
        load_default="",
        metadata={
            "description": "Its name in Indonesian; when empty or not given, pages in "
            "Indonesian show the English one.",
            "example": "Paket kebersihan keluarga (Covid-19)",
        },
    )
    weight_kg = DecimalNumber(3, required=True, metadata={"description": "Of one kit."})
    volume_m3 = DecimalNumber(4, required=True, metadata={"description": "Of one kit."})
    contents = fields.List(
        fields.Nested(KitItemSchema), required=True, validate=validate.Length(min=1, max=100)
    )


class WarehouseSchema(ma.Schema):
    id = fields.Integer(dump_only=True)
    code = Text(32, required=True)
    name = Text(200, required=True)
    province = Text(
        100,
        load_default="",
        metadata={
            "description": "Its province's name (or short name, or code). Not needed with a"
            " code: the answer carries the official name.",
            "example": "Jawa Timur",
        },
    )
    regency = Text(100, load_default="", metadata={"example": "Kabupaten Malang"})
    district = Text(100, load_default="", allow_none=True, metadata={"example": "Turen"})
    village = Text(100, load_default="", allow_none=True, metadata={"example": "Sedayu"})
    village_code = Text(
        20,
        load_default="",
        allow_none=True,
        metadata={
            "description": "The official (Kemendagri) code of its village, with or without"
            " dots; kitlog then fills the four names (given too, they must agree).",
            "example": "35.07.09.1008",
        },
    )
    regency_code = Text(
        20,
        load_default="",
        allow_none=True,
        metadata={
            "description": "The official code of its regency or city when its village is not"
            " given by code; a district and village named beside it are found under it. A"
            " warehouse needs its regency at least, its village if known.",
            "example": "35.07",
        },
    )
    province_code = fields.String(dump_only=True, allow_none=True, metadata={"example": "35"})
    district_code = fields.String(dump_only=True, allow_none=True, metadata={"example": "35.07.09"})
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
        "name_id": kit_type.name_id,
        "weight_kg": float(kit_type.weight_kg),
        "volume_m3": float(kit_type.volume_m3),
        "contents": [
            {"item": c.item, "item_id": c.item_id, "quantity": c.quantity, "unit": c.unit}
            for c in kit_type.contents
        ],
    }


def _create_warehouse(session, **data) -> Warehouse:
    """A warehouse where its places say (by code or by names), in its province's zone
    unless a zone is given."""
    places = {name: data.pop(name) or "" for name in _WAREHOUSE_PLACES}
    return reference_service.create_warehouse(
        session, **data, **places, default_timezone=current_app.config["TIMEZONE"]
    )


_WAREHOUSE_PLACES = ("district", "village", "village_code", "regency_code")


def _create_kit_type(session, **data) -> KitType:
    contents = [ContentLine(**line) for line in data.pop("contents")]
    return reference_service.create_kit_type(session, contents=contents, **data)


def _reference_views(
    path: str,
    model: type,
    schema: type[ma.Schema],
    create: Callable[..., Any],
    docs: tuple[str, str, str],
    dump: Callable[[Any], dict] | None = None,
    loads: tuple = (),
) -> None:
    """List, create and get by code one kind of reference data. Donors, kit types and
    warehouses are read and written alike (the same permissions, paging, answers and
    409 for a code taken); only their fields differ."""
    list_doc, create_doc, get_doc = docs
    dump = dump or schema().dump
    many = path.lstrip("/").replace("-", "_")  # the endpoints: list_donors, get_donor, ...
    one = many.removesuffix("s")
    page_name = f"{schema.__name__.removesuffix('Schema')}Page"

    @blp.page_route(path, schema, page_name, endpoint=f"list_{many}")
    @problems(blp, *READ)
    @require("reference.read")
    @described(list_doc)
    def list_view(args):
        query = select(model).order_by(model.code)
        return page_of(query, args["page"], args["per_page"], dump)

    @blp.route(path, methods=["POST"], endpoint=f"create_{one}")
    @blp.arguments(schema)
    @blp.response(201, schema)
    @problems(blp, *WRITE, 409)
    @require("reference.write")
    @described(create_doc)
    def create_view(data):
        return dump(create(db.session, **data))

    @blp.route(f"{path}/<code:code>", methods=["GET"], endpoint=f"get_{one}")
    @blp.response(200, schema)
    @problems(blp, *READ, 404)
    @require("reference.read")
    @described(get_doc)
    def get_view(code):
        return dump(reference_service.get_by_code(db.session, model, code, "code", loads))


_reference_views(
    "/donors",
    Donor,
    DonorSchema,
    reference_service.create_donor,
    ("List donors.", "Create a donor.", "One donor by code."),
)
_reference_views(
    "/kit-types",
    KitType,
    KitTypeSchema,
    _create_kit_type,
    (
        "List kit types with their contents.",
        "Create a kit type with its contents.",
        "One kit type by code.",
    ),
    dump=_dump_kit_type,
    loads=(joinedload(KitType.contents),),  # the kit type and its contents in one statement
)
_reference_views(
    "/warehouses",
    Warehouse,
    WarehouseSchema,
    _create_warehouse,
    ("List warehouses.", "Create a warehouse.", "One warehouse by code."),
)
