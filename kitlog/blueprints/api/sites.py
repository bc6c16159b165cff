"""Distribution sites: the places and days where a site round's households collect their
parcels, each with today's count; and a site's day as a phone keeps it offline."""

from __future__ import annotations

import marshmallow as ma
from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import fields

from kitlog.blueprints.api.common import (
    ApiBlueprint,
    IsoDate,
    Text,
    acting_user,
    get_or_404,
    id_part,
)
from kitlog.blueprints.api.problems import READ, WRITE, problems
from kitlog.extensions import db
from kitlog.models import Round
from kitlog.models.cards import MAX_SITE_NAME
from kitlog.security import require
from kitlog.services import audit, sites

blp = ApiBlueprint(
    "api_sites",
    __name__,
    description="Distribution sites: where a site round's households collect their parcels",
)

ROUND_ID = id_part("round_id")
SITE_ID = id_part("site_id")


class SiteCreateSchema(ma.Schema):
    name = Text(MAX_SITE_NAME, required=True, metadata={"example": "Balai Desa Sedayu"})
    place_code = Text(
        20,
        load_default="",
        metadata={
            "description": "The official code of a district or village of the round's area;"
            " or give its names instead.",
            "example": "35.07.09.1008",
        },
    )
    province = Text(60, load_default="")
    regency = Text(120, load_default="")
    district = Text(120, load_default="")
    village = Text(120, load_default="")
    start_date = IsoDate(required=True)
    end_date = IsoDate(
        load_default=None, allow_none=True, metadata={"description": "Default: start_date."}
    )


class SiteCountSchema(ma.Schema):
    day = fields.Date(required=True, metadata={"description": "On the warehouse's clock."})
    served = fields.Integer(required=True, metadata={"description": "Handed over that day."})
    expected = fields.Integer(
        required=True,
        metadata={"description": "Served, plus parcels still on its dispatched manifests."},
    )


class SiteSchema(ma.Schema):
    id = fields.Integer(required=True)
    round = fields.Integer(required=True, metadata={"description": "The round's id."})
    name = fields.String(required=True)
    place_code = fields.String(required=True)
    place = fields.String(required=True, metadata={"example": "Sedayu, Turen"})
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    manifests = fields.List(
        fields.String(), required=True, metadata={"description": "Its manifests' numbers."}
    )
    today = fields.Nested(SiteCountSchema, required=True)


class SiteListSchema(ma.Schema):
    items = fields.List(fields.Nested(SiteSchema), required=True)


class SiteDayParcelSchema(ma.Schema):
    code = fields.String(required=True)
    token = fields.String(required=True)
    short_code = fields.String(required=True)
    status = fields.String(required=True)
    kits = fields.Integer(required=True)
    round = fields.String(required=True)
    verification = fields.String(required=True)
    delivered_today = fields.Boolean(required=True)


class SiteDayCollectorSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    relation = fields.String(required=True)


class SiteDayHouseholdSchema(ma.Schema):
    code = fields.String(required=True)
    head_name = fields.String(required=True)
    village = fields.String(required=True)
    card_hash = fields.String(
        allow_none=True, metadata={"description": "SHA-256 of its card's token (hex)."}
    )
    short_hash = fields.String(
        allow_none=True,
        metadata={"description": "SHA-256 of its card's short code: its 9 symbols (hex)."},
    )
    collectors = fields.List(fields.Nested(SiteDayCollectorSchema), required=True)
    parcels = fields.List(fields.Nested(SiteDayParcelSchema), required=True)


class SiteDayPlaceSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    place = fields.String(required=True)


class SiteDaySchema(ma.Schema):
    site = fields.Nested(SiteDayPlaceSchema, required=True)
    day = fields.String(required=True)
    served = fields.Integer(required=True)
    expected = fields.Integer(required=True)
    households = fields.List(fields.Nested(SiteDayHouseholdSchema), required=True)


def dump_site(site):
    count = sites.site_count(db.session, site)
    return {
        "id": site.id,
        "round": site.round_id,
        "name": site.name,
        "place_code": site.place_code,
        "place": sites.place_name(site),
        "start_date": site.start_date,
        "end_date": site.end_date,
        "manifests": [m.number for m in sites.site_manifests(db.session, site)],
        "today": {"day": count.day, "served": count.served, "expected": count.expected},
    }


def _site_or_404(site_id):
    return sites.get_site(db.session, site_id)


@blp.route(f"/rounds/{ROUND_ID}/sites", methods=["GET"])
@blp.response(200, SiteListSchema)
@problems(blp, *READ, 404)
@require("sites.read")
def list_sites(round_id):
    """A round's distribution sites, by first day, each with today's count."""
    round_ = get_or_404(Round, round_id, _l("There is no round with the id %(id)s.", id=round_id))
    return {"items": [dump_site(s) for s in sites.round_sites(db.session, round_)]}


@blp.route(f"/rounds/{ROUND_ID}/sites", methods=["POST"])
@blp.arguments(SiteCreateSchema)
@blp.response(201, SiteSchema)
@problems(blp, *WRITE, 404, 409, 422)
@require("sites.write")
def create_site(data, round_id):
    """A distribution site for a round collected at sites (409 for a door-to-door round
    or a closed one): its name, a district or village of the round's area (by code or by
    names), and its days within the round's."""
    round_ = get_or_404(Round, round_id, _l("There is no round with the id %(id)s.", id=round_id))
    site = sites.create_site(db.session, round_, data, user=acting_user())
    return dump_site(site)


@blp.route(f"/sites/{SITE_ID}", methods=["GET"])
@blp.response(200, SiteSchema)
@problems(blp, *READ, 404)
@require("sites.read")
def get_site(site_id):
    """One distribution site with its manifests and today's count: served, and expected
    (served plus the parcels still on its dispatched manifests)."""
    return dump_site(_site_or_404(site_id))


@blp.route(f"/sites/{SITE_ID}/day", methods=["GET"])
@blp.response(200, SiteDaySchema)
@problems(blp, *READ, 404)
@require("scans.field")
def site_day(site_id):
    """The site's day as a phone keeps it to hand over offline: its households (code,
    head's name, village, the hashes of its card's token and short code: never the card
    itself), their collectors (no NIK nor phone) and their parcels on its manifests."""
    site = _site_or_404(site_id)
    day = sites.site_day(db.session, site)
    audit.record_look(
        db.session,
        "site.households",
        user=current_user,
        object_type="site",
        object_ref=str(site.id),
        detail={"households": len(day["households"])},
        address=request.remote_addr,
    )
    return day
