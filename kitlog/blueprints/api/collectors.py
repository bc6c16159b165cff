"""A household's collectors (wakil penerima): the people it names to collect its parcels.
Personal data, like the household's: field officers and admin, never the warehouse or a
donor."""

from __future__ import annotations

import marshmallow as ma
from flask import request
from marshmallow import fields

from kitlog.blueprints.api.common import (
    ApiBlueprint,
    LocalDateTime,
    Text,
    acting_user,
    id_part,
)
from kitlog.blueprints.api.problems import READ, WRITE, problems
from kitlog.extensions import db
from kitlog.models import Collector
from kitlog.models.base import utcnow
from kitlog.models.cards import MAX_COLLECTORS, MAX_RELATION
from kitlog.security import require
from kitlog.services import collectors as service
from kitlog.services import households as household_service
from kitlog.services import personal_data

blp = ApiBlueprint(
    "api_collectors",
    __name__,
    description="The people a household names to collect its parcels (at most"
    f" {MAX_COLLECTORS} at a time)",
)

COLLECTOR_ID = id_part("collector_id")


class CollectorWriteSchema(ma.Schema):
    """A collector's values: the service checks and normalises them and lists every bad
    one; here only the JSON types are checked."""

    name = Text(200, allow_none=True, metadata={"example": "Sri Wahyuni"})
    relation = Text(
        200,
        allow_none=True,
        metadata={
            "description": f"Free text, at most {MAX_RELATION} characters.",
            "example": "tetangga",
        },
    )
    nik = Text(
        40,
        allow_none=True,
        metadata={
            "description": "Optional; when given, 16 digits checked as a household's NIK,"
            " and never the head of household's own.",
            "example": "3507124506850002",
        },
    )
    phone = Text(
        40,
        allow_none=True,
        metadata={
            "description": "Optional; 08…, +62… or 62…; stored as +62….",
            "example": "0812 3456 7890",
        },
    )


class CollectorSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    relation = fields.String(required=True, metadata={"example": "tetangga"})
    nik = fields.String(allow_none=True, metadata={"description": "Null when not given."})
    phone = fields.String(required=True, metadata={"description": "Empty when not given."})
    created_at = LocalDateTime(required=True)


def _dump(collector: Collector) -> dict:
    return {
        "id": collector.id,
        "name": collector.name,
        "relation": collector.relation,
        "nik": collector.nik,
        "phone": collector.phone,
        "created_at": collector.created_at,
    }


@blp.route("/households/<code:code>/collectors", methods=["GET"])
@blp.response(200, CollectorSchema(many=True))
@problems(blp, *READ, 404, 429)
@require("households.read")
def list_collectors(code):
    """The household's active collectors, oldest first, their NIK and phone in full (each
    read is logged as a read of the household's record and counts towards the hourly
    limit)."""
    household = household_service.get_household(db.session, code)
    personal_data.record_view(
        db.session, household.code, user=acting_user(), address=request.remote_addr, now=utcnow()
    )
    return [_dump(collector) for collector in household.collectors]


@blp.route("/households/<code:code>/collectors", methods=["POST"])
@blp.arguments(CollectorWriteSchema)
@blp.response(201, CollectorSchema)
@problems(blp, *WRITE, 404, 409, 422)
@require("households.write")
def create_collector(data, code):
    """Name a collector: 409 when the household already has three active, or the NIK is
    one of its collectors'; 422 for a bad value or the head's own NIK."""
    household = household_service.get_household(db.session, code)
    collector = service.add_collector(
        db.session, household, data, user=acting_user(), address=request.remote_addr
    )
    return _dump(collector)


@blp.route(f"/households/<code:code>/collectors/{COLLECTOR_ID}", methods=["DELETE"])
@blp.response(204)
@problems(blp, 401, 403, 404)
@require("households.write")
def delete_collector(code, collector_id):
    """Remove a collector: it no longer collects for the household, and its record stays
    (the deliveries it took name it). 404 for another household's collector."""
    household = household_service.get_household(db.session, code)
    service.deactivate_collector(
        db.session, household, collector_id, user=acting_user(), address=request.remote_addr
    )
