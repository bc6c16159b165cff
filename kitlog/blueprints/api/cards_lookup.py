"""A household's card, looked up: how a distribution site finds what to hand over when
the household shows its card."""

from __future__ import annotations

import marshmallow as ma
from flask import request
from flask_login import current_user
from marshmallow import fields

from kitlog.blueprints.api.common import ApiBlueprint, LocalDateTime
from kitlog.blueprints.api.problems import READ, problems
from kitlog.extensions import db
from kitlog.models import PARCEL_STATUSES, ROUND_MODES, SCAN_ACTIONS, VERIFICATIONS
from kitlog.security import SCAN_ACTION_PERMISSIONS, can, require
from kitlog.services import audit, cards, sites
from kitlog.services.parcel_codes import format_short_code

blp = ApiBlueprint(
    "api_cards_lookup",
    __name__,
    description="Household cards: what a distribution site hands over to a card's household",
)


class CardCollectorSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    relation = fields.String(required=True)


class CardHouseholdSchema(ma.Schema):
    code = fields.String(required=True, metadata={"example": "HH-000123"})
    head_name = fields.String(
        metadata={"description": "Only for users who may read households (field, admin)."}
    )
    village = fields.String(required=True)
    collectors = fields.List(
        fields.Nested(CardCollectorSchema),
        metadata={"description": "Its active collectors; only for field and admin users."},
    )


class CardInLookupSchema(ma.Schema):
    short_code = fields.String(required=True, metadata={"example": "ABC-DEF-GHJ"})
    issued_at = LocalDateTime(required=True)


class CardRoundSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    verification = fields.String(required=True, metadata={"enum": list(VERIFICATIONS)})
    mode = fields.String(required=True, metadata={"enum": list(ROUND_MODES)})


class CardParcelSchema(ma.Schema):
    code = fields.String(required=True, metadata={"example": "ABC-DEF-GHJ"})
    short_code = fields.String(required=True, metadata={"example": "ABCDEFGHJ"})
    round = fields.Nested(CardRoundSchema, required=True)
    status = fields.String(required=True, metadata={"enum": list(PARCEL_STATUSES)})
    kits = fields.Integer(required=True)
    actions = fields.List(
        fields.String(metadata={"enum": list(SCAN_ACTIONS)}),
        required=True,
        metadata={"description": "The scans its state allows now that this user may make."},
    )


class CardLookupSchema(ma.Schema):
    household = fields.Nested(CardHouseholdSchema, required=True)
    card = fields.Nested(CardInLookupSchema, required=True)
    parcels = fields.List(fields.Nested(CardParcelSchema), required=True)


def dump_lookup(found, *, names):
    """A card's lookup as the answer shows it; the head's and collectors' names only with
    `names` (the warehouse sees the household's code and village, not who they are)."""
    household = {"code": found.household.code, "village": found.household.village}
    if names:
        household["head_name"] = found.household.head_name
        household["collectors"] = [
            {"id": c.id, "name": c.name, "relation": c.relation} for c in found.collectors
        ]
    return {
        "household": household,
        "card": {"short_code": cards.shown_code(found.card), "issued_at": found.card.issued_at},
        "parcels": [
            {
                "code": format_short_code(item.parcel.short_code),
                "short_code": item.parcel.short_code,
                "round": {
                    "id": item.parcel.round.id,
                    "name": item.parcel.round.name,
                    "verification": item.parcel.round.verification,
                    "mode": item.parcel.round.mode,
                },
                "status": item.parcel.status,
                "kits": item.parcel.kits,
                "actions": [a for a in item.actions if can(SCAN_ACTION_PERMISSIONS[a])],
            }
            for item in found.parcels
        ],
    }


@blp.route("/cards/<path:card>", methods=["GET"])
@blp.response(200, CardLookupSchema)
@problems(blp, *READ, 404, 409)
@require("cards.lookup")
def lookup_card(card):
    """The household a card names (its token, short code or QR URL) and its parcels still
    owed in open rounds, with those delivered today, and the scans each allows: 404 for
    a card nobody holds, 409 for a replaced card. Field and admin users get the head's
    and collectors' names; the warehouse gets neither."""
    found = sites.lookup_card(db.session, card)
    names = can("households.read")
    if names:
        audit.record_look(
            db.session,
            "card.lookup",
            user=current_user,
            object_type="household",
            object_ref=found.household.code,
            detail={"card": cards.shown_code(found.card)},
            address=request.remote_addr,
        )
    return dump_lookup(found, names=names)
