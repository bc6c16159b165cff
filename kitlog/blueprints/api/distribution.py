"""Distribution rounds, allocation and parcels."""

from __future__ import annotations

from collections.abc import Sequence

import marshmallow as ma
from flask import Response, current_app
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kitlog.blueprints.api.common import (
    ApiBlueprint,
    Code,
    Flag,
    Id,
    IsoDate,
    LocalDateTime,
    PageArgs,
    Text,
    acting_user,
    get_or_404,
    id_part,
    page_of,
    record_action,
    resolve,
    resolve_id,
)
from kitlog.blueprints.api.problems import READ, WRITE, out_of_stock, problems
from kitlog.blueprints.web import local_today
from kitlog.extensions import db
from kitlog.models import (
    PARCEL_STATUSES,
    PROOF_KINDS,
    ROUND_MODES,
    ROUND_STATUSES,
    VERIFICATIONS,
    DonorBatch,
    Household,
    Parcel,
    ParcelEvent,
    Round,
    ScanAction,
    Warehouse,
)
from kitlog.models.distribution import MAX_ENTITLEMENT, MAX_MEMBERS_PER_KIT, MAX_ROUND_NAME
from kitlog.models.households import MAX_PLACE
from kitlog.names import SKIP_REASON_NAMES
from kitlog.security import can, require
from kitlog.services import distribution as service
from kitlog.services import proofs
from kitlog.services.errors import FieldError, InvalidValues, NotFound
from kitlog.services.parcel_codes import format_short_code

blp = ApiBlueprint("api_distribution", __name__, description="Rounds, allocation and parcels")

ROUND_ID = id_part("round_id")
MAX_HOUSEHOLDS = 200_000  # household codes one allocation may name


# -- schemas -------------------------------------------------------------------------------


class RoundCreateSchema(ma.Schema):
    name = Text(MAX_ROUND_NAME, required=True, metadata={"example": "KOICA hygiene kits, Malang"})
    batches = fields.List(
        Id(),
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "The ids of its donor batches, all of one kit type."},
    )
    warehouse = Code(
        required=True,
        metadata={"description": "Where its parcels are packed and dispatched from."},
    )
    entitlement = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=1, max=MAX_ENTITLEMENT),
        metadata={"description": "Kits in each household's one parcel (the most, by size)."},
    )
    members_per_kit = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_MEMBERS_PER_KIT),
        metadata={
            "description": "One kit for every this many people, at most `entitlement`; "
            "null: every household gets `entitlement`."
        },
    )
    province = Text(60, load_default=None, allow_none=True, metadata={"example": "Jawa Timur"})
    regency = Text(
        MAX_PLACE, load_default=None, allow_none=True, metadata={"example": "Kab. Malang"}
    )
    province_code = Text(
        13,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "The official code of the round's province (instead of, or as"
            " well as, its name).",
            "example": "35",
        },
    )
    regency_code = Text(
        13,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "The official code of the round's regency or city (instead of,"
            " or as well as, the names).",
            "example": "35.07",
        },
    )
    vulnerable_first = Flag(
        load_default=False,
        metadata={"description": "Serve only households with a vulnerability until it is cleared."},
    )
    show_head_name = Flag(load_default=False)
    start_date = IsoDate(load_default=None, allow_none=True)
    end_date = IsoDate(load_default=None, allow_none=True)
    proof = fields.String(
        load_default="none",
        metadata={
            "enum": list(PROOF_KINDS),
            "description": "What each delivery must carry: none, the recipient's signature"
            " or a photo of the handover.",
        },
    )
    verification = fields.String(
        load_default="none",
        metadata={
            "enum": list(VERIFICATIONS),
            "description": "What a delivery must carry besides the parcel's label: none, or"
            " `card`, the household's card too (it must be the household's current card).",
        },
    )
    mode = fields.String(
        load_default="door",
        metadata={
            "enum": list(ROUND_MODES),
            "description": "Where the parcels are handed over: `door`, at each household's"
            " door, or `site`, at the round's distribution sites.",
        },
    )


class ParcelCountsSchema(ma.Schema):
    allocated = fields.Integer(required=True)
    packed = fields.Integer(required=True)
    dispatched = fields.Integer(required=True)
    delivered = fields.Integer(required=True)
    failed = fields.Integer(required=True)
    returned = fields.Integer(required=True)
    cancelled = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "Not cancelled."})


class RoundProgressSchema(ma.Schema):
    """What the round's progress bars show: the parcels that came at least that far."""

    packed = fields.Integer(required=True, metadata={"description": "Packed or beyond."})
    dispatched = fields.Integer(required=True, metadata={"description": "Dispatched or beyond."})
    delivered = fields.Integer(required=True)


class RoundSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(ROUND_STATUSES)})
    batches = fields.List(fields.Integer(), required=True, metadata={"description": "Ids."})
    warehouse = fields.String(required=True, metadata={"description": "The warehouse's code."})
    entitlement = fields.Integer(required=True)
    members_per_kit = fields.Integer(allow_none=True)
    province = fields.String(allow_none=True)
    regency = fields.String(allow_none=True)
    province_code = fields.String(allow_none=True, metadata={"example": "35"})
    regency_code = fields.String(allow_none=True, metadata={"example": "35.07"})
    vulnerable_first = fields.Boolean(required=True)
    show_head_name = fields.Boolean(required=True)
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    proof = fields.String(required=True, metadata={"enum": list(PROOF_KINDS)})
    verification = fields.String(required=True, metadata={"enum": list(VERIFICATIONS)})
    mode = fields.String(required=True, metadata={"enum": list(ROUND_MODES)})
    created_at = LocalDateTime()
    opened_at = LocalDateTime(allow_none=True)
    closed_at = LocalDateTime(allow_none=True)
    parcels = fields.Nested(ParcelCountsSchema, required=True)
    progress = fields.Nested(RoundProgressSchema, required=True)


class AllocateSchema(ma.Schema):
    households = fields.List(
        Text(32),
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=MAX_HOUSEHOLDS),
        metadata={
            "description": "Household codes; left out: every eligible household of the area."
        },
    )


class SkipSchema(ma.Schema):
    household = fields.String(required=True, metadata={"description": "The household's code."})
    reason = fields.String(required=True, metadata={"enum": list(SKIP_REASON_NAMES)})
    message = fields.String(required=True)


class AllocationSchema(ma.Schema):
    allocated = fields.Integer(required=True, metadata={"description": "Parcels allocated."})
    kits = fields.Integer(required=True, metadata={"description": "Kits reserved for them."})
    skipped = fields.List(fields.Nested(SkipSchema), required=True)


class BatchAvailabilitySchema(ma.Schema):
    batch = fields.Integer(required=True)
    lot = fields.String(required=True)
    expiry_date = fields.Date(allow_none=True)
    available = fields.Integer(required=True)
    expired = fields.Boolean(required=True)


class PlanSchema(ma.Schema):
    kits_needed = fields.Integer(required=True)
    kits_available = fields.Integer(required=True)
    households = fields.Integer(
        required=True, metadata={"description": "Households allocating would serve."}
    )
    skipped = fields.List(fields.Nested(SkipSchema), required=True)
    batches = fields.List(
        fields.Nested(BatchAvailabilitySchema),
        metadata={"description": "First expiry first out."},
    )


class ParcelArgs(PageArgs):
    status = Text(
        200,
        metadata={"description": "Only these statuses, comma-separated: allocated,packed."},
    )


class ParcelCodeArgs(ma.Schema):
    code = Text(2000, required=True, metadata={"description": "Short code, token or QR URL."})


class CancelSchema(ma.Schema):
    reason = Text(service.MAX_REASON, load_default="")


class ParcelHouseholdSchema(ma.Schema):
    code = fields.String(required=True)
    members = fields.Integer(required=True)
    village = fields.String(required=True)
    district = fields.String(required=True)
    regency = fields.String(required=True)
    province = fields.String(required=True)
    village_code = fields.String(allow_none=True, metadata={"example": "35.07.09.1008"})
    district_code = fields.String(allow_none=True)
    regency_code = fields.String(allow_none=True)
    province_code = fields.String(allow_none=True)
    head_name = fields.String(metadata={"description": "Only for users who may read households."})


class ParcelRoundSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    proof = fields.String(
        required=True,
        metadata={"enum": list(PROOF_KINDS), "description": "What its delivery must carry."},
    )
    verification = fields.String(
        required=True,
        metadata={
            "enum": list(VERIFICATIONS),
            "description": "`card`: its delivery needs the household's card too.",
        },
    )
    mode = fields.String(required=True, metadata={"enum": list(ROUND_MODES)})


class ParcelLineSchema(ma.Schema):
    batch = fields.Integer(required=True)
    lot = fields.String(required=True)
    kits = fields.Integer(required=True)


class ParcelEventSchema(ma.Schema):
    from_status = fields.String(allow_none=True)
    status = fields.String(required=True)
    at = LocalDateTime(required=True)
    by = fields.String(allow_none=True, metadata={"description": "Who; null for the system."})
    note = fields.String(
        required=True,
        metadata={
            "description": "What kitlog noted (a manifest's number, a reason), or the text typed"
            " with a scan (a failed delivery's note), which only users who may read households"
            " see: empty for the others."
        },
    )


class ParcelSchema(ma.Schema):
    code = fields.String(required=True, metadata={"example": "ABC-DEF-GHJ"})
    token = fields.String(required=True)
    url = fields.String(required=True, metadata={"description": "What its QR code encodes."})
    kits = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": list(PARCEL_STATUSES)})
    round = fields.Nested(ParcelRoundSchema, required=True)
    household = fields.Nested(ParcelHouseholdSchema, required=True)
    lines = fields.List(fields.Nested(ParcelLineSchema), required=True)
    history = fields.List(fields.Nested(ParcelEventSchema), required=True)


class ParcelItemSchema(ma.Schema):
    code = fields.String(required=True)
    token = fields.String(required=True)
    kits = fields.Integer(required=True)
    status = fields.String(required=True)
    household = fields.String(required=True, metadata={"description": "The household's code."})
    village = fields.String(required=True)


# -- answers -------------------------------------------------------------------------------


def _dump_rounds(rounds: Sequence[Round]) -> list[dict]:
    """The rounds with their parcel counts: one aggregate query for all of them."""
    counts = service.round_counts(db.session, [r.id for r in rounds])
    return [
        {
            "id": r.id,
            "name": r.name,
            "status": r.status,
            "batches": [b.id for b in r.batches],
            "warehouse": r.warehouse.code,
            "entitlement": r.entitlement,
            "members_per_kit": r.members_per_kit,
            "province": r.province,
            "regency": r.regency,
            "province_code": r.province_code,
            "regency_code": r.regency_code,
            "vulnerable_first": r.vulnerable_first,
            "show_head_name": r.show_head_name,
            "start_date": r.start_date,
            "end_date": r.end_date,
            "proof": r.proof,
            "verification": r.verification,
            "mode": r.mode,
            "created_at": r.created_at,
            "opened_at": r.opened_at,
            "closed_at": r.closed_at,
            "parcels": counts[r.id],
            "progress": dict(service.round_progress(counts[r.id]).bars),
        }
        for r in rounds
    ]


def _dump_skip(skip: service.Skip) -> dict:
    return {"household": skip.household.code, "reason": skip.reason, "message": str(skip.message)}


def typed_note_hidden(event: ParcelEvent) -> bool:
    """A note typed with a scan (a failed delivery's note may hold a NIK or a phone) is
    for users who may read households, as on the parcel's page; a load's note is the
    manifest's number, which kitlog writes."""
    scan = event.scan
    return (
        bool(event.note)
        and scan is not None
        and scan.action != ScanAction.LOAD
        and not can("households.read")
    )


def dump_household(household: Household, *, names: bool, regions: bool = True) -> dict:
    """A parcel's household as the answers show it: its code, size and place (a
    manifest's leaves out the regency and province); its head's name only with `names`,
    for users who may read households."""
    data = {
        "code": household.code,
        "members": household.members,
        "village": household.village,
        "district": household.district,
        "village_code": household.village_code,
        "district_code": household.district_code,
    }
    if regions:
        data["regency"] = household.regency
        data["province"] = household.province
        data["regency_code"] = household.regency_code
        data["province_code"] = household.province_code
    if names:
        data["head_name"] = household.head_name
    return data


def _dump_parcel(parcel: Parcel) -> dict:
    return {
        "code": format_short_code(parcel.short_code),
        "token": parcel.token,
        "url": f"{current_app.config['BASE_URL']}/p/{parcel.token}",
        "kits": parcel.kits,
        "status": parcel.status,
        "round": {
            "id": parcel.round.id,
            "name": parcel.round.name,
            "proof": parcel.round.proof,
            "verification": parcel.round.verification,
            "mode": parcel.round.mode,
        },
        "household": dump_household(parcel.household, names=can("households.read")),
        "lines": [
            {"batch": line.batch_id, "lot": line.batch.lot, "kits": line.kits}
            for line in parcel.lines
        ],
        "history": [
            {
                "from_status": event.from_status,
                "status": event.status,
                "at": event.created_at,
                "by": event.user.name if event.user else None,
                "note": "" if typed_note_hidden(event) else event.note,
            }
            for event in parcel.events
        ],
    }


dump_parcel = _dump_parcel  # the scans and manifests answers show parcels the same way


def _dump_parcel_item(parcel: Parcel) -> dict:
    return {
        "code": format_short_code(parcel.short_code),
        "token": parcel.token,
        "kits": parcel.kits,
        "status": parcel.status,
        "household": parcel.household.code,
        "village": parcel.household.village,
    }


def round_or_404(round_id: int) -> Round:
    """The round a URL names (the labels answer reads it too), or a 404."""
    return get_or_404(Round, round_id, _l("There is no round with the id %(id)s.", id=round_id))


def _statuses(text: str | None) -> list[str] | None:
    """?status=allocated,packed; 422 naming the field for a status that does not exist."""
    if not text:
        return None
    statuses = [s.strip().lower() for s in text.split(",") if s.strip()]
    unknown = [s for s in statuses if s not in PARCEL_STATUSES]
    if unknown:
        raise InvalidValues(
            [
                FieldError(
                    "status",
                    _l(
                        "%(value)s is not a parcel status; use %(statuses)s.",
                        value=value[:20],
                        statuses=", ".join(PARCEL_STATUSES),
                    ),
                )
                for value in unknown
            ]
        )
    return statuses or None


# -- rounds --------------------------------------------------------------------------------


@blp.route("/rounds", methods=["POST"])
@blp.arguments(RoundCreateSchema)
@blp.response(201, RoundSchema)
@problems(blp, *WRITE)
@require("rounds.write")
def create_round(data):
    """Plan a round, as a draft: batches of one kit type, a warehouse, an entitlement."""
    batches = [resolve_id(DonorBatch, batch_id, "batches") for batch_id in data.pop("batches")]
    round_ = service.create_round(
        db.session,
        batches=batches,
        warehouse=resolve(Warehouse, data.pop("warehouse"), "warehouse"),
        user=acting_user(),
        **data,
    )
    return _dump_rounds([round_])[0]


@blp.page_route("/rounds", RoundSchema, "RoundPage")
@problems(blp, *READ)
@require("rounds.read")
def list_rounds(args):
    """Every round, newest first, with its parcels counted by status."""
    query = (
        select(Round)
        .options(selectinload(Round.batches), selectinload(Round.warehouse))
        .order_by(Round.id.desc())
    )
    return page_of(query, args["page"], args["per_page"], dump_all=_dump_rounds)


@blp.route(f"/rounds/{ROUND_ID}", methods=["GET"])
@blp.response(200, RoundSchema)
@problems(blp, *READ, 404)
@require("rounds.read")
def get_round(round_id):
    """One round with its parcels counted by status."""
    return _dump_rounds([round_or_404(round_id)])[0]


@blp.route(f"/rounds/{ROUND_ID}/allocate", methods=["POST"])
@blp.arguments(AllocateSchema)
@blp.response(200, AllocationSchema)
@problems(blp, *WRITE, 404)
@out_of_stock(blp)
@require("rounds.write")
def allocate(data, round_id):
    """Give every eligible household one parcel; all or nothing (409 when stock is short)."""
    round_ = round_or_404(round_id)
    result = service.allocate(
        db.session,
        round_,
        household_codes=data.get("households"),
        user=acting_user(),
        today=local_today(),
    )
    return {
        "allocated": result.allocated,
        "kits": result.kits,
        "skipped": [_dump_skip(s) for s in result.skipped],
    }


@blp.route(f"/rounds/{ROUND_ID}/plan", methods=["GET"])
@blp.response(200, PlanSchema)
@problems(blp, *READ, 404)
@require("rounds.read")
def plan(round_id):
    """What allocating now would do: kits needed and available, who is skipped and why."""
    round_ = round_or_404(round_id)
    result = service.plan_allocation(db.session, round_, today=local_today())
    return {
        "kits_needed": result.kits_needed,
        "kits_available": result.kits_available,
        "households": len(result.households),
        "skipped": [_dump_skip(s) for s in result.skipped],
        "batches": [
            {
                "batch": b.batch.id,
                "lot": b.batch.lot,
                "expiry_date": b.batch.expiry_date,
                "available": b.available,
                "expired": b.expired,
            }
            for b in result.batches
        ],
    }


@blp.route(f"/rounds/{ROUND_ID}/open", methods=["POST"])
@blp.response(200, RoundSchema)
@problems(blp, 401, 403, 404, 409)
@require("rounds.write")
def open_round(round_id):
    """Open a draft round."""
    round_ = service.open_round(db.session, round_or_404(round_id), user=acting_user())
    return _dump_rounds([round_])[0]


@blp.route(f"/rounds/{ROUND_ID}/close", methods=["POST"])
@blp.response(200, RoundSchema)
@problems(blp, 401, 403, 404, 409)
@require("rounds.write")
def close_round(round_id):
    """Close an open round; its parcels not yet packed are cancelled (409 while any is
    packed, on the road or failed)."""
    round_ = service.close_round(db.session, round_or_404(round_id), user=acting_user())
    return _dump_rounds([round_])[0]


@blp.page_route(f"/rounds/{ROUND_ID}/parcels", ParcelItemSchema, "ParcelPage", ParcelArgs)
@problems(blp, *READ, 404, 422)
@require("parcels.read")
def list_parcels(args, round_id):
    """A round's parcels, by status, in household-code order."""
    round_or_404(round_id)
    query = service.parcels_query(round_id, statuses=_statuses(args.get("status")))
    return page_of(query, args["page"], args["per_page"], _dump_parcel_item)


# -- parcels -------------------------------------------------------------------------------


@blp.route("/parcels", methods=["GET"])
@blp.arguments(ParcelCodeArgs, location="query")
@blp.response(200, ParcelSchema)
@problems(blp, *READ, 404, 422)
@require("parcels.read")
def find_parcel_by_query(args):
    """The parcel a short code, token or QR URL (?code=) names, with its history."""
    return _dump_parcel(service.find_parcel(db.session, args["code"]))


@blp.route("/parcels/<path:code>", methods=["GET"], merge_slashes=False)
@blp.response(200, ParcelSchema)
@problems(blp, *READ, 404)
@require("parcels.read")
def get_parcel(code):
    """The parcel a short code, token or percent-encoded QR URL names, with its history."""
    return _dump_parcel(service.find_parcel(db.session, code))


@blp.route("/parcels/<path:code>/proof", methods=["GET"], merge_slashes=False)
@blp.response(
    200,
    {"type": "string", "format": "binary"},
    content_type="image/png",
    description="The signature or photo kept with the delivery, as stored: a PNG or a JPEG"
    " (Content-Type says which; X-Proof-Kind: signature or photo).",
)
@problems(blp, *READ, 404)
@require("parcels.proof")
def get_parcel_proof(code):
    """The proof of delivery of a parcel; 404 when none was kept."""
    parcel = service.find_parcel(db.session, code)
    proof = proofs.of_parcel(db.session, parcel)
    if proof is None:
        raise NotFound(_l("No proof of delivery was kept for this parcel."))
    return Response(
        proof.content,
        mimetype=proof.content_type,
        headers={
            "X-Proof-Kind": proof.kind,
            "ETag": f'"{proof.sha256}"',
            "Content-Disposition": f'inline; filename="proof-{parcel.short_code}'
            f'.{"png" if proof.content_type == "image/png" else "jpg"}"',
        },
    )


@blp.route("/parcels/<path:code>/cancel", methods=["POST"], merge_slashes=False)
@blp.arguments(CancelSchema)
@blp.response(200, ParcelSchema)
@problems(blp, *WRITE, 404, 409)
@require("parcels.cancel")
def cancel_parcel(data, code):
    """Cancel a parcel not yet dispatched; its kits are no longer reserved."""
    parcel = service.find_parcel(db.session, code)
    parcel = service.cancel_parcel(db.session, parcel, user=acting_user(), reason=data["reason"])
    record_action("parcel.cancel", "parcel", parcel.short_code)
    return _dump_parcel(parcel)
