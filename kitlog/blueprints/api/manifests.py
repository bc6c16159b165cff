"""Manifests (waybills): load, take off, dispatch, close, cancel, print."""

from __future__ import annotations

from collections.abc import Sequence

import marshmallow as ma
from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import fields, validate

from kitlog.blueprints.api.common import (
    ApiBlueprint,
    Code,
    DecimalNumber,
    Id,
    IsoDate,
    LocalDateTime,
    PageArgs,
    Text,
    acting_user,
    get_or_404,
    id_part,
    page_of,
    resolve,
    resolve_id,
)
from kitlog.blueprints.api.distribution import dump_household
from kitlog.blueprints.api.problems import READ, WRITE, PlaceSchema, problems
from kitlog.blueprints.manifests.pdf import manifest_pdf_response
from kitlog.extensions import db
from kitlog.models import (
    MANIFEST_STATUSES,
    PROOF_KINDS,
    VERIFICATIONS,
    Manifest,
    Round,
    Warehouse,
)
from kitlog.security import can, require
from kitlog.services import audit, cards, worklist
from kitlog.services import manifests as service
from kitlog.services.distribution import find_parcel
from kitlog.services.parcel_codes import format_short_code

blp = ApiBlueprint(
    "api_manifests",
    __name__,
    description="Manifests (waybills): load, take off, dispatch, close, cancel, print",
)
PDF = {"type": "string", "format": "binary"}

MANIFEST_ID = id_part("manifest_id")


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


class ManifestAddSchema(ma.Schema):
    parcels = fields.List(
        Text(2000),
        validate=validate.Length(min=1, max=service.MAX_PARCELS),
        metadata={"description": "Codes of packed parcels to load (all or none)."},
    )
    round = Id(
        metadata={
            "description": "With a district and/or a village: load every packed"
            " parcel of this round in the area that is on no open manifest."
        }
    )
    district = Text(
        100,
        load_default="",
        metadata={
            "description": "A district's name: the one of that name among the round's"
            " households, or in the round's regency.",
            "example": "Turen",
        },
    )
    village = Text(
        100,
        load_default="",
        metadata={
            "description": "A village's name: the one of that name among the round's"
            " households (in the district, if given).",
            "example": "Sedayu",
        },
    )
    district_code = Text(
        20,
        load_default="",
        metadata={"description": "A district's official code.", "example": "35.07.09"},
    )
    village_code = Text(
        20,
        load_default="",
        metadata={"description": "A village's official code.", "example": "35.07.09.1008"},
    )

    @ma.validates_schema
    def _one_way(self, data, **kwargs):
        if ("parcels" in data) == ("round" in data):
            raise ma.ValidationError(
                str(_l("Give either parcels or a round with its area.")), "parcels"
            )


class ManifestCloseSchema(ma.Schema):
    reason = Text(
        service.MAX_REASON,
        load_default="",
        metadata={
            "description": "Why parcels never scanned go back to stock; needed when any"
            " parcel is still dispatched."
        },
    )


class ManifestCancelSchema(ma.Schema):
    reason = Text(service.MAX_REASON, required=True)


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
    close_reason = fields.String()
    cancelled_at = LocalDateTime(allow_none=True)
    cancel_reason = fields.String()
    kits_total = fields.Integer(
        allow_none=True, metadata={"description": "Copied at dispatch; null before."}
    )
    weight_kg = DecimalNumber(3, allow_none=True, metadata={"description": "Copied at dispatch."})
    volume_m3 = DecimalNumber(4, allow_none=True, metadata={"description": "Copied at dispatch."})
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
    outcome = fields.String(
        allow_none=True,
        metadata={"enum": ["delivered", "returned"], "description": "Set when it closes."},
    )
    proof = fields.String(
        required=True,
        metadata={
            "enum": list(PROOF_KINDS),
            "description": "What its delivery must carry: its round's proof.",
        },
    )
    household = fields.Nested(ManifestHouseholdSchema, required=True)


class ManifestDetailSchema(ManifestSchema):
    parcels = fields.List(fields.Nested(ManifestParcelSchema), required=True)


class WorkListManifestSchema(ma.Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(MANIFEST_STATUSES)})
    destination = fields.String(required=True)


class TripHouseholdSchema(ma.Schema):
    """A household on a trip's work-list or among the follow-ups: where to go, and who to
    ask for when the reader may read households."""

    code = fields.String(required=True)
    head_name = fields.String(metadata={"description": "Only for users who may read households."})
    phone = fields.String(metadata={"description": "Only for users who may read households."})
    village = fields.String(required=True)
    district = fields.String(required=True)


class WorkListHouseholdSchema(TripHouseholdSchema):
    village_code = fields.String(
        allow_none=True,
        metadata={
            "description": "Its village's official code, one of the work-list's `places`;"
            " null for a household kitlog could not match to the official list.",
            "example": "35.07.09.1008",
        },
    )


class WorkListCardSchema(ma.Schema):
    """The household's current card as a phone checks it offline: hashes, never codes."""

    token_hash = fields.String(
        required=True, metadata={"description": "Hex SHA-256 of the card's token (upper case)."}
    )
    short_code_hash = fields.String(
        required=True,
        metadata={
            "description": "Hex SHA-256 of the card's short code: its 9 symbols, upper case,"
            " without hyphens."
        },
    )


class WorkListCollectorSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(metadata={"description": "Only for users who may read households."})
    relation = fields.String(required=True)


class WorkListAttemptSchema(ma.Schema):
    at = LocalDateTime(required=True)
    outcome = fields.String(required=True, metadata={"enum": ["delivered", "failed"]})
    reason = fields.String(metadata={"description": "Why the delivery failed."})


class WorkListItemSchema(ma.Schema):
    code = fields.String(required=True, metadata={"example": "ABC-DEF-GHJ"})
    status = fields.String(required=True)
    kits = fields.Integer(required=True)
    household = fields.Nested(WorkListHouseholdSchema, required=True)
    attempts = fields.List(fields.Nested(WorkListAttemptSchema), required=True)
    verification = fields.String(
        required=True,
        metadata={
            "enum": list(VERIFICATIONS),
            "description": "What its round's delivery carries besides the label: `card`,"
            " the household's card too.",
        },
    )
    card = fields.Nested(
        WorkListCardSchema,
        allow_none=True,
        required=True,
        metadata={"description": "The household's current card; null when it has none."},
    )
    collectors = fields.List(
        fields.Nested(WorkListCollectorSchema),
        required=True,
        metadata={"description": "The household's active collectors, never their NIK or phone."},
    )


class WorkListSchema(ma.Schema):
    manifest = fields.Nested(WorkListManifestSchema, required=True)
    done = fields.Integer(required=True, metadata={"description": "Parcels delivered."})
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(WorkListItemSchema), required=True)
    places = fields.List(
        fields.Nested(PlaceSchema),
        required=True,
        metadata={
            "description": "The official places of the trip's households, each once: their"
            " villages and districts, and the regencies and provinces above them (the"
            " larger first, by code). The delivery page keeps them with the saved trip."
        },
    )


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
            "close_reason": m.close_reason,
            "cancelled_at": m.cancelled_at,
            "cancel_reason": m.cancel_reason,
            "kits_total": m.kits_total,
            "weight_kg": m.weight_kg,
            "volume_m3": m.volume_m3,
            "counts": counts[m.id],
        }
        for m in manifests
    ]


def _dump_detail(manifest: Manifest) -> dict:
    names = can("households.read")
    outcomes = service.manifest_outcomes(db.session, manifest)
    parcels = [
        {
            "code": format_short_code(parcel.short_code),
            "token": parcel.token,
            "status": parcel.status,
            "kits": parcel.kits,
            "outcome": outcomes.get(parcel.id),
            # what its delivery must carry (its round's), for a trip saved on the phone
            "proof": parcel.round.proof,
            "household": dump_household(parcel.household, names=names, regions=False),
        }
        for parcel in service.manifest_parcels(db.session, manifest)
    ]
    return {**_dump_manifests([manifest])[0], "parcels": parcels}


def _manifest_or_404(manifest_id: int) -> Manifest:
    return get_or_404(
        Manifest, manifest_id, _l("There is no manifest with the id %(id)s.", id=manifest_id)
    )


def _audit_trip_households(manifest: Manifest, households: set[str]) -> None:
    """A read of a trip's households with their heads' names, in the audit log."""
    audit.record_look(
        db.session,
        "manifest.households",
        user=current_user,
        object_type="manifest",
        object_ref=manifest.number,
        detail={"households": len(households)},
        address=request.remote_addr,
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
    return _dump_detail(manifest)


@blp.page_route("/manifests", ManifestSchema, "ManifestPage", ManifestArgs)
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
    manifest = _manifest_or_404(manifest_id)
    detail = _dump_detail(manifest)
    if can("households.read") and detail["parcels"]:
        # The trip's households with their heads' names, as a phone keeps them offline.
        _audit_trip_households(manifest, {p["household"]["code"] for p in detail["parcels"]})
    return detail


def _dump_worklist(work: worklist.WorkList, *, names: bool) -> dict:
    manifest = work.manifest
    items = []
    for item in work.items:
        household = {
            "code": item.household.code,
            "village": item.household.village,
            "district": item.household.district,
            "village_code": item.household.village_code,
        }
        if names:
            household["head_name"] = item.household.head_name
            household["phone"] = item.household.phone
        attempts = []
        for attempt in item.attempts:
            dumped: dict = {"at": attempt.at, "outcome": attempt.outcome}
            if attempt.reason:
                dumped["reason"] = attempt.reason
            attempts.append(dumped)
        card = item.card
        items.append(
            {
                "code": format_short_code(item.parcel.short_code),
                "status": item.parcel.status,
                "kits": item.parcel.kits,
                "household": household,
                "attempts": attempts,
                "verification": item.parcel.round.verification,
                # hashes only: the trip on the phone checks a card, it cannot make one
                "card": (
                    {
                        "token_hash": cards.token_hash(card.token),
                        "short_code_hash": cards.short_code_hash(card.short_code),
                    }
                    if card is not None
                    else None
                ),
                "collectors": [
                    {"id": c.id, "relation": c.relation} | ({"name": c.name} if names else {})
                    for c in item.collectors
                ],
            }
        )
    return {
        "manifest": {
            "id": manifest.id,
            "number": manifest.number,
            "status": manifest.status,
            "destination": manifest.destination,
        },
        "done": work.done,
        "total": work.total,
        "items": items,
        "places": [place.as_dict() for place in work.places],
    }


@blp.route(f"/manifests/{MANIFEST_ID}/worklist", methods=["GET"])
@blp.response(200, WorkListSchema)
@problems(blp, *READ, 404)
@require("manifests.read")
def manifest_worklist(manifest_id):
    """The trip's work-list: its households by district, village and household code, with
    each parcel's status and door attempts; heads' names and phones only for users who
    may read households (the delivery page keeps it on the phone)."""
    manifest = _manifest_or_404(manifest_id)
    names = can("households.read")
    work = worklist.worklist(db.session, manifest)
    if names and work.items:
        _audit_trip_households(manifest, {item.household.code for item in work.items})
    return _dump_worklist(work, names=names)


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
    return _dump_detail(manifest)


@blp.route(f"/manifests/{MANIFEST_ID}/parcels", methods=["POST"])
@blp.arguments(ManifestAddSchema)
@blp.response(200, ManifestDetailSchema)
@problems(blp, *WRITE, 404, 409, 422)
@require("manifests.write")
def add_parcels(data, manifest_id):
    """Load parcels onto an open manifest: listed by code, or every packed parcel of a
    round in a district and/or village that is on no open manifest (all or nothing)."""
    manifest = _manifest_or_404(manifest_id)
    if "parcels" in data:
        service.add_parcels(db.session, manifest, data["parcels"], user=acting_user())
    else:
        service.add_parcels_by_area(
            db.session,
            manifest,
            round=resolve_id(Round, data["round"], "round"),
            district=data["district"],
            village=data["village"],
            district_code=data["district_code"],
            village_code=data["village_code"],
            user=acting_user(),
        )
    return _dump_detail(manifest)


@blp.route(f"/manifests/{MANIFEST_ID}/parcels/<string:code>", methods=["DELETE"])
@blp.response(200, ManifestDetailSchema)
@problems(blp, 401, 403, 404, 409)
@require("manifests.write")
def remove_parcel(manifest_id, code):
    """Take a parcel (by short code or token) off a manifest that has not left yet."""
    manifest = _manifest_or_404(manifest_id)
    parcel = find_parcel(db.session, code[:200])
    service.remove_parcel(db.session, manifest, parcel, user=acting_user())
    return _dump_detail(manifest)


@blp.route(f"/manifests/{MANIFEST_ID}/close", methods=["POST"])
@blp.arguments(ManifestCloseSchema)
@blp.response(200, ManifestDetailSchema)
@problems(blp, *WRITE, 404, 409, 422)
@require("manifests.write")
def close_manifest(data, manifest_id):
    """Close a dispatched manifest: failed parcels (and, with a reason, parcels never
    scanned) go back to stock as `return`; 409 listing the parcels never scanned when
    no reason is given."""
    manifest = service.close_manifest(
        db.session, _manifest_or_404(manifest_id), reason=data["reason"], user=acting_user()
    )
    return _dump_detail(manifest)


@blp.route(f"/manifests/{MANIFEST_ID}/cancel", methods=["POST"])
@blp.arguments(ManifestCancelSchema)
@blp.response(200, ManifestDetailSchema)
@problems(blp, *WRITE, 404, 409, 422)
@require("manifests.write")
def cancel_manifest(data, manifest_id):
    """Cancel a manifest that has not left: it keeps its number, is void, and its parcels
    come off it (still packed); 409 once dispatched."""
    manifest = service.cancel_manifest(
        db.session, _manifest_or_404(manifest_id), reason=data["reason"], user=acting_user()
    )
    return _dump_detail(manifest)


@blp.route(f"/manifests/{MANIFEST_ID}.pdf", methods=["GET"])
@blp.response(
    200,
    PDF,
    content_type="application/pdf",
    description="The printed manifest: A4 pages with its parcels, totals, signature blocks"
    " and a QR code of its page; never a household's NIK or phone.",
)
@problems(blp, *READ, 404)
@require("manifests.read")
def manifest_pdf(manifest_id):
    """The printed manifest (waybill) as a PDF."""
    return manifest_pdf_response(_manifest_or_404(manifest_id))
