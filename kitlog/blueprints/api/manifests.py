"""Manifests (waybills): load, dispatch."""

from __future__ import annotations

from collections.abc import Sequence

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from kitlog.blueprints.api.common import (
    MAX_ID,
    ApiBlueprint,
    Code,
    IsoDate,
    LocalDateTime,
    PageArgs,
    Text,
    acting_user,
    get_or_404,
    page_of,
    page_schema,
    resolve,
)
from kitlog.blueprints.api.problems import READ, WRITE, problems
from kitlog.extensions import db
from kitlog.models import MANIFEST_STATUSES, Manifest, Warehouse
from kitlog.security import can, require
from kitlog.services import manifests as service
from kitlog.services.parcel_codes import format_short_code

blp = ApiBlueprint("api_manifests", __name__, description="Manifests (waybills): load, dispatch")

MANIFEST_ID = f"<int(min=1, max={MAX_ID}):manifest_id>"


# -- schemas -------------------------------------------------------------------------------


class ManifestCreateSchema(ma.Schema):
    warehouse = Code(required=True, metadata={"description": "Where the trip leaves from."})
    destination = Text(200, required=True, metadata={"example": "Desa Sedayu, Kec. Turen"})
    vehicle = Text(40, required=True, metadata={"example": "L 1234 AB"})
    driver_name = Text(120, required=True)
    driver_phone = Text(30, load_default="")
    planned_date = IsoDate(load_default=None, allow_none=True)
    note = Text(1000, load_default="")
    parcels = fields.List(
        Text(2000),
        load_default=list,
        validate=validate.Length(max=service.MAX_PARCELS),
        metadata={"description": "Codes of packed parcels to load (all or none)."},
    )


class ManifestCountsSchema(ma.Schema):
    parcels = fields.Integer(required=True)
    kits = fields.Integer(required=True)
    packed = fields.Integer()
    dispatched = fields.Integer()
    delivered = fields.Integer()
    failed = fields.Integer()
    returned = fields.Integer()


class ManifestSchema(ma.Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True, metadata={"example": "SBY-01/2026/0001"})
    status = fields.String(required=True, metadata={"enum": list(MANIFEST_STATUSES)})
    warehouse = fields.String(required=True, metadata={"description": "The warehouse's code."})
    destination = fields.String(required=True)
    vehicle = fields.String(required=True)
    driver_name = fields.String(required=True)
    driver_phone = fields.String(required=True)
    planned_date = fields.Date(allow_none=True)
    note = fields.String()
    created_at = LocalDateTime()
    dispatched_at = LocalDateTime(allow_none=True)
    closed_at = LocalDateTime(allow_none=True)
    counts = fields.Nested(ManifestCountsSchema, required=True)


class ManifestHouseholdSchema(ma.Schema):
    code = fields.String(required=True)
    head_name = fields.String(metadata={"description": "Only for users who may read households."})
    members = fields.Integer(required=True)
    village = fields.String(required=True)
    district = fields.String(required=True)


class ManifestParcelSchema(ma.Schema):
    code = fields.String(required=True, metadata={"example": "ABC-DEF-GHJ"})
    token = fields.String(required=True)
    status = fields.String(required=True)
    kits = fields.Integer(required=True)
    household = fields.Nested(ManifestHouseholdSchema, required=True)


class ManifestDetailSchema(ManifestSchema):
    parcels = fields.List(fields.Nested(ManifestParcelSchema), required=True)


class ManifestArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(MANIFEST_STATUSES))
    warehouse = Code(metadata={"description": "The warehouse's code."})


# -- answers -------------------------------------------------------------------------------


def _dump_manifests(manifests: Sequence[Manifest]) -> list[dict]:
    counts = service.manifest_counts(db.session, [m.id for m in manifests])
    return [
        {
            "id": m.id,
            "number": m.number,
            "status": m.status,
            "warehouse": m.warehouse.code,
            "destination": m.destination,
            "vehicle": m.vehicle,
            "driver_name": m.driver_name,
            "driver_phone": m.driver_phone,
            "planned_date": m.planned_date,
            "note": m.note,
            "created_at": m.created_at,
            "dispatched_at": m.dispatched_at,
            "closed_at": m.closed_at,
            "counts": counts[m.id],
        }
        for m in manifests
    ]


def _dump_detail(manifest: Manifest) -> dict:
    names = can("households.read")
    parcels = []
    for parcel in service.manifest_parcels(db.session, manifest):
        household = parcel.household
        household_data = {
            "code": household.code,
            "members": household.members,
            "village": household.village,
            "district": household.district,
        }
        if names:
            household_data["head_name"] = household.head_name
        parcels.append(
            {
                "code": format_short_code(parcel.short_code),
                "token": parcel.token,
                "status": parcel.status,
                "kits": parcel.kits,
                "household": household_data,
            }
        )
    return {**_dump_manifests([manifest])[0], "parcels": parcels}


def _manifest_or_404(manifest_id: int) -> Manifest:
    return get_or_404(
        Manifest, manifest_id, _l("There is no manifest with the id %(id)s.", id=manifest_id)
    )


# -- views ---------------------------------------------------------------------------------


@blp.route("/manifests", methods=["POST"])
@blp.arguments(ManifestCreateSchema)
@blp.response(201, ManifestDetailSchema)
@problems(blp, *WRITE, 409, 422)
@require("manifests.write")
def create_manifest(data):
    """Open a numbered manifest; the parcels listed (packed, of its warehouse) are loaded."""
    manifest = service.create_manifest(
        db.session,
        warehouse=resolve(Warehouse, data.pop("warehouse"), "warehouse"),
        user=acting_user(),
        **data,
    )
    db.session.commit()
    return _dump_detail(manifest)


@blp.route("/manifests", methods=["GET"])
@blp.arguments(ManifestArgs, location="query")
@blp.response(200, page_schema(ManifestSchema, "ManifestPage"))
@problems(blp, *READ, 422)
@require("manifests.read")
def list_manifests(args):
    """Manifests, newest first, by status and warehouse, with their parcels counted."""
    warehouse_id = None
    if args.get("warehouse"):
        warehouse_id = resolve(Warehouse, args["warehouse"], "warehouse").id
    query = service.manifests_query(status=args.get("status"), warehouse_id=warehouse_id)
    return page_of(query, args["page"], args["per_page"], dump_all=_dump_manifests)


@blp.route(f"/manifests/{MANIFEST_ID}", methods=["GET"])
@blp.response(200, ManifestDetailSchema)
@problems(blp, *READ, 404)
@require("manifests.read")
def get_manifest(manifest_id):
    """One manifest with its parcels and their households (the delivery page caches it)."""
    return _dump_detail(_manifest_or_404(manifest_id))


@blp.route(f"/manifests/{MANIFEST_ID}/dispatch", methods=["POST"])
@blp.response(200, ManifestDetailSchema)
@problems(blp, 401, 403, 404, 409)
@require("manifests.write")
def dispatch_manifest(manifest_id):
    """Dispatch an open manifest: its kits leave the stock (ledger `dispatch`), its
    parcels go on the road; 409 unless every parcel on it is packed."""
    manifest = service.dispatch_manifest(
        db.session, _manifest_or_404(manifest_id), user=acting_user()
    )
    db.session.commit()
    return _dump_detail(manifest)
