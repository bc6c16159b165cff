"""Post-distribution monitoring: a round's random sample of delivered households, their
answers to the short survey, and the round's results."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from kitlog.blueprints.api.common import (
    ApiBlueprint,
    Flag,
    LocalDateTime,
    Text,
    acting_user,
)
from kitlog.blueprints.api.distribution import ROUND_ID, round_or_404
from kitlog.blueprints.api.problems import READ, WRITE, problems
from kitlog.extensions import db
from kitlog.models import Parcel
from kitlog.models.feedback import MAX_COMMENT, PdmResponse, PdmSample
from kitlog.names import kit_item_name
from kitlog.security import require
from kitlog.services import pdm as service
from kitlog.services.parcel_codes import format_short_code

blp = ApiBlueprint(
    "api_pdm",
    __name__,
    description="Post-distribution monitoring: random samples of delivered households, their"
    " answers, the results",
)


class SampleArgs(ma.Schema):
    size = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=100_000),
        metadata={
            "description": "How many households to draw. Default: the size that gives 95 %"
            " confidence and a 10 % margin for the number delivered."
        },
    )
    seed = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=service.MAX_SEED - 1),
        metadata={"description": "Draw again with a known seed; default: a random one."},
    )


class SampleParcelSchema(ma.Schema):
    code = fields.String(required=True, metadata={"example": "ABC-DEF-GHJ"})
    household = fields.String(required=True, metadata={"description": "The household's code."})
    village = fields.String(required=True)


class SampleSchema(ma.Schema):
    id = fields.Integer(required=True)
    round = fields.Integer(required=True, metadata={"description": "The round's id."})
    seed = fields.Integer(required=True)
    size = fields.Integer(required=True)
    population = fields.Integer(
        required=True, metadata={"description": "The round's delivered parcels it was drawn from."}
    )
    created_at = LocalDateTime(required=True)
    parcels = fields.List(fields.Nested(SampleParcelSchema), required=True)


class ResponseArgs(ma.Schema):
    parcel = fields.Raw(
        required=True,
        metadata={"description": "The parcel's short code, token or id.", "example": "ABC-DEF-GHJ"},
    )
    received_complete = Flag(required=True)
    items_missing = fields.List(
        fields.Raw(),
        load_default=None,
        validate=validate.Length(max=200),
        metadata={
            "description": "The kit's items that were missing, by position in the kit type's"
            " contents (1, 2…) or by name; only when the kit was not complete."
        },
    )
    satisfaction = fields.Integer(required=True, strict=True, metadata={"minimum": 1, "maximum": 5})
    comment = Text(MAX_COMMENT, load_default="")
    idempotency_key = Text(
        service.MAX_IDEMPOTENCY_KEY,
        metadata={"description": "The phone's key: sent again, it gives the same response."},
    )


class MissingItemSchema(ma.Schema):
    position = fields.Integer(required=True)
    item = fields.String(allow_none=True)


class ResponseSchema(ma.Schema):
    id = fields.Integer(required=True)
    parcel = fields.String(required=True, metadata={"example": "ABC-DEF-GHJ"})
    round = fields.Integer(required=True)
    received_complete = fields.Boolean(required=True)
    items_missing = fields.List(fields.Nested(MissingItemSchema), required=True)
    satisfaction = fields.Integer(required=True)
    comment = fields.String(required=True)
    created_at = LocalDateTime(required=True)
    idempotency_key = fields.String(allow_none=True)


class CountSchema(ma.Schema):
    position = fields.Integer(required=True)
    item = fields.String(allow_none=True)
    count = fields.Integer(required=True)


class ResultSampleSchema(ma.Schema):
    id = fields.Integer(required=True)
    seed = fields.Integer(required=True)
    size = fields.Integer(required=True)
    population = fields.Integer(required=True)
    answered = fields.Integer(required=True)
    created_at = LocalDateTime(required=True)


class ResultsSchema(ma.Schema):
    round = fields.Integer(required=True)
    responses = fields.Integer(required=True)
    complete = fields.Integer(required=True)
    complete_rate = fields.Float(allow_none=True, metadata={"description": "0 to 1."})
    satisfaction_mean = fields.Float(allow_none=True)
    satisfaction = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": 'How many answered each score, "1" to "5".'},
    )
    items_missing = fields.List(fields.Nested(CountSchema), required=True)
    sample = fields.Nested(ResultSampleSchema, allow_none=True)


def dump_sample(sample: PdmSample) -> dict:
    return {
        "id": sample.id,
        "round": sample.round_id,
        "seed": sample.seed,
        "size": sample.size,
        "population": sample.population,
        "created_at": sample.created_at,
        "parcels": [
            {
                "code": format_short_code(line.parcel.short_code),
                "household": line.parcel.household.code,
                "village": line.parcel.household.village or "",
            }
            for line in sample.parcels
        ],
    }


def dump_response(response: PdmResponse) -> dict:
    parcel: Parcel = response.parcel
    items = {i.position: i for i in service.kit_items(db.session(), parcel.round)}
    return {
        "id": response.id,
        "parcel": format_short_code(parcel.short_code),
        "round": parcel.round_id,
        "received_complete": response.received_complete,
        "items_missing": [
            {"position": p, "item": kit_item_name(items[p]) if p in items else None}
            for p in service.missing_positions(response)
        ],
        "satisfaction": response.satisfaction,
        "comment": response.comment,
        "created_at": response.created_at,
        "idempotency_key": response.idempotency_key,
    }


@blp.route(f"/rounds/{ROUND_ID}/pdm-sample", methods=["POST"])
@blp.arguments(SampleArgs)
@blp.response(201, SampleSchema)
@problems(blp, *WRITE, 404, 409, 422)
@require("pdm.manage")
def draw_sample(data, round_id):
    """Draw a random sample of the round's delivered households (audited); the seed is
    given back so that the draw can be repeated. 409 when nothing is delivered yet, 422
    when `size` is more than the delivered parcels."""
    round_ = round_or_404(round_id)
    sample = service.draw_sample(
        db.session, round_, size=data.get("size"), seed=data.get("seed"), user=acting_user()
    )
    return dump_sample(sample)


@blp.route(f"/rounds/{ROUND_ID}/pdm", methods=["GET"])
@blp.response(200, ResultsSchema)
@problems(blp, *READ, 404)
@require("pdm.manage")
def round_results(round_id):
    """The round's survey results: complete kits, satisfaction, missing items, and how
    much of the current sample has answered."""
    round_ = round_or_404(round_id)
    results = service.round_results(db.session, round_)
    sample = results.sample
    return {
        "round": round_.id,
        "responses": results.responses,
        "complete": results.complete,
        "complete_rate": results.complete_rate,
        "satisfaction_mean": results.satisfaction_mean,
        "satisfaction": {str(k): v for k, v in results.distribution.items()},
        "items_missing": [
            {
                "position": m.position,
                "item": kit_item_name(m.item) if m.item is not None else None,
                "count": m.count,
            }
            for m in results.missing
        ],
        "sample": None
        if sample is None
        else {
            "id": sample.id,
            "seed": sample.seed,
            "size": sample.size,
            "population": sample.population,
            "answered": results.sample_answered,
            "created_at": sample.created_at,
        },
    }


@blp.route("/pdm", methods=["POST"])
@blp.arguments(ResponseArgs)
@blp.response(201, ResponseSchema)
@blp.alt_response(200, schema=ResponseSchema, description="The same key again: the same response.")
@problems(blp, *WRITE, 404, 409, 422)
@require("pdm.survey")
def record_response(data):
    """Record a sampled household's answers about its delivered parcel, once (409 when it
    has answered, not delivered, or not in a sample); the same `idempotency_key` again
    gives the same response with 200 and records nothing new."""
    response, new = service.record_response(db.session, data, user=acting_user())
    return dump_response(response), (201 if new else 200)
