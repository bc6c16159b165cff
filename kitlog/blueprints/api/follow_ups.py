"""Follow-ups: parcels whose last attempt at the door failed, and putting them on the
next manifest."""

from __future__ import annotations

import marshmallow as ma
from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import fields, validate

from kitlog.blueprints.api.common import (
    ApiBlueprint,
    Code,
    Id,
    LocalDateTime,
    PageArgs,
    Text,
    acting_user,
    page_of_list,
    resolve,
    resolve_id,
)
from kitlog.blueprints.api.manifests import TripHouseholdSchema
from kitlog.blueprints.api.problems import READ, WRITE, problems
from kitlog.extensions import db
from kitlog.models import FAIL_REASONS, PARCEL_FLAGS, PARCEL_STATUSES, Manifest, Round, Warehouse
from kitlog.names import parcel_flag_name
from kitlog.security import can, require
from kitlog.services import audit
from kitlog.services import follow_ups as service
from kitlog.services.distribution import find_parcel
from kitlog.services.errors import FieldError, InvalidValues, NotFound
from kitlog.services.manifests import MAX_PARCELS
from kitlog.services.parcel_codes import format_short_code

blp = ApiBlueprint(
    "api_follow_ups",
    __name__,
    description="Follow-ups: parcels whose last attempt at the door failed, and the next trip",
)


class AttemptSchema(ma.Schema):
    at = LocalDateTime(required=True, metadata={"description": "The phone's time when known."})
    outcome = fields.String(required=True, metadata={"enum": ["failed"]})
    reason = fields.String(allow_none=True, metadata={"enum": list(FAIL_REASONS)})


class FollowUpRoundSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class FollowUpSchema(ma.Schema):
    code = fields.String(required=True, metadata={"example": "ABC-DEF-GHJ"})
    status = fields.String(required=True, metadata={"enum": ["failed"]})
    kits = fields.Integer(required=True)
    round = fields.Nested(FollowUpRoundSchema, required=True)
    warehouse = fields.String(required=True, metadata={"description": "The warehouse's code."})
    manifest = fields.String(
        allow_none=True, metadata={"description": "The number of the trip it failed on."}
    )
    household = fields.Nested(TripHouseholdSchema, required=True)
    attempts = fields.List(fields.Nested(AttemptSchema), required=True)
    flagged = fields.Boolean(
        required=True,
        metadata={
            "description": f"Failed at the door {service.FLAG_AFTER_FAILED_ATTEMPTS} times or"
            " more: the manager's to look at."
        },
    )


class FollowUpArgs(PageArgs):
    round = Id(strict=False, metadata={"description": "The round's id."})
    warehouse = Code(metadata={"description": "The warehouse's code."})


class PutOnManifestSchema(ma.Schema):
    manifest = Id(required=True, metadata={"description": "An open manifest's id."})
    parcels = fields.List(
        Text(2000),
        required=True,
        validate=validate.Length(min=1, max=MAX_PARCELS),
        metadata={"description": "Codes of follow-ups to put on it (all or none)."},
    )


class PutOnManifestAnswerSchema(ma.Schema):
    manifest = fields.String(required=True, metadata={"description": "The manifest's number."})
    parcels = fields.List(fields.String(), required=True)


def dump_follow_up(item: service.FollowUp, *, names: bool) -> dict:
    """A follow-up as the answers show it; the head's name and phone only with `names`."""
    household: dict = {
        "code": item.household_code,
        "village": item.village,
        "district": item.district,
    }
    if names:
        household["head_name"] = item.head_name
        household["phone"] = item.phone
    return {
        "code": item.code,
        "status": item.status,
        "kits": item.kits,
        "round": {"id": item.round_id, "name": item.round_name},
        "warehouse": item.warehouse,
        "manifest": item.manifest,
        "household": household,
        "attempts": [{"at": a.at, "outcome": "failed", "reason": a.reason} for a in item.attempts],
        "flagged": item.flagged,
    }


def _listed(args, read, dump):
    """A page of the parcels `read` lists for the round and warehouse asked for, each
    dumped with names only for users who may read households (the look logged)."""
    round_ = resolve_id(Round, args["round"], "round") if "round" in args else None
    warehouse = resolve(Warehouse, args["warehouse"], "warehouse") if "warehouse" in args else None
    items = read(
        db.session,
        round_id=round_.id if round_ is not None else None,
        warehouse_id=warehouse.id if warehouse is not None else None,
    )
    names = can("households.read")
    answer = page_of_list(items, args["page"], args["per_page"])
    answer["items"] = [dump(item, names=names) for item in answer["items"]]
    if names and answer["items"]:
        audit.record_look(
            db.session,
            "follow_ups.households",
            user=current_user,
            object_type="round",
            object_ref=str(round_.id) if round_ is not None else "",
            detail={"households": len({i["household"]["code"] for i in answer["items"]})},
            address=request.remote_addr,
        )
    return answer


@blp.page_route("/follow-ups", FollowUpSchema, "FollowUpPage", FollowUpArgs)
@problems(blp, *READ, 422)
@require("follow_ups.read")
def list_follow_ups(args):
    """Parcels whose last attempt at the door failed and that are still owed (not
    delivered, cancelled or returned), by round, district, village and household, with
    each failed attempt's reason and time; the household's head and phone only for users
    who may read households."""
    return _listed(args, service.follow_ups, dump_follow_up)


@blp.route("/follow-ups/load", methods=["POST"])
@blp.arguments(PutOnManifestSchema)
@blp.response(200, PutOnManifestAnswerSchema)
@problems(blp, *WRITE, 409, 422)
@require("manifests.write")
def put_on_manifest(data):
    """Put follow-ups on an open manifest of their warehouse in one action: each is
    returned to stock, packed again and loaded (all or none; 409 lists in `refused` each
    parcel that may not go and why)."""
    manifest = resolve_id(Manifest, data["manifest"], "manifest")
    parcels, errors = [], []
    for code in data["parcels"]:
        try:
            parcels.append(find_parcel(db.session, code[:200]))
        except NotFound:
            errors.append(FieldError("parcels", _l("No parcel has the code %(code)s.", code=code)))
    if errors:
        raise InvalidValues(errors)
    moved = service.put_on_manifest(db.session, manifest, parcels, user=acting_user())
    return {"manifest": manifest.number, "parcels": [p.short_code for p in moved]}


# -- card mismatches -----------------------------------------------------------------------


class CardMismatchSchema(ma.Schema):
    code = fields.String(required=True, metadata={"example": "ABC-DEF-GHJ"})
    status = fields.String(required=True, metadata={"enum": list(PARCEL_STATUSES)})
    kits = fields.Integer(required=True)
    round = fields.Nested(FollowUpRoundSchema, required=True)
    warehouse = fields.String(required=True, metadata={"description": "The warehouse's code."})
    household = fields.Nested(TripHouseholdSchema, required=True)
    flag = fields.String(
        required=True,
        metadata={
            "enum": list(PARCEL_FLAGS),
            "description": "`card_mismatch`: handed over offline, the household's card"
            " refused at sync.",
        },
    )
    flag_name = fields.String(required=True, metadata={"example": "Card did not match at sync"})
    flagged_at = LocalDateTime(allow_none=True)


class ResolveFlagSchema(ma.Schema):
    parcel = Text(2000, required=True, metadata={"description": "The parcel's code."})
    note = Text(
        2000,
        required=True,
        metadata={
            "description": "How it was resolved, in a few words (at most"
            f" {service.MAX_RESOLUTION_NOTE} characters)."
        },
    )


class ResolvedFlagSchema(ma.Schema):
    parcel = fields.String(required=True, metadata={"example": "ABC-DEF-GHJ"})
    flag = fields.String(allow_none=True, metadata={"description": "null: resolved."})


def dump_card_mismatch(item: service.CardMismatch, *, names: bool) -> dict:
    """A card mismatch as the answers show it; the head's name and phone only with
    `names`."""
    household: dict = {
        "code": item.household_code,
        "village": item.village,
        "district": item.district,
    }
    if names:
        household["head_name"] = item.head_name
        household["phone"] = item.phone
    return {
        "code": item.code,
        "status": item.status,
        "kits": item.kits,
        "round": {"id": item.round_id, "name": item.round_name},
        "warehouse": item.warehouse,
        "household": household,
        "flag": item.flag,
        "flag_name": parcel_flag_name(item.flag),
        "flagged_at": item.flagged_at,
    }


@blp.page_route("/follow-ups/card-mismatches", CardMismatchSchema, "CardMismatchPage", FollowUpArgs)
@problems(blp, *READ, 422)
@require("follow_ups.read")
def list_card_mismatches(args):
    """Parcels handed over offline whose household card did not match at sync, whatever
    their status, the longest waiting first, until someone resolves them; the
    household's head and phone only for users who may read households."""
    return _listed(args, service.card_mismatches, dump_card_mismatch)


@blp.route("/follow-ups/card-mismatches/resolve", methods=["POST"])
@blp.arguments(ResolveFlagSchema)
@blp.response(200, ResolvedFlagSchema)
@problems(blp, *WRITE, 404, 409)
@require("follow_ups.resolve")
def resolve_card_mismatch(data):
    """Resolve a parcel's card mismatch with a short note (required; audited as
    `parcel.flag_resolved`): its flag is cleared. 409 when it has no flag left."""
    parcel = find_parcel(db.session, data["parcel"][:200])
    service.resolve_flag(
        db.session,
        parcel,
        note=data["note"],
        user=acting_user(),
        address=request.remote_addr,
    )
    return {"parcel": format_short_code(parcel.short_code), "flag": parcel.flag}
