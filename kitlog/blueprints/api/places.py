"""Indonesia's official places, for the pick-lists of the forms (any logged-in user)."""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify, request
from marshmallow import fields, validate

from kitlog.blueprints.api.common import ApiBlueprint, Text
from kitlog.blueprints.api.problems import READ, PlaceSchema, problems
from kitlog.security import require
from kitlog.services import place_lists
from kitlog.services.places import LEVELS

blp = ApiBlueprint("api_places", __name__, description="Indonesia's official places")

# The list only changes with kitlog's version (it ships the places): a browser may keep an
# answer for a day, and asks again with If-None-Match after that.
MAX_AGE = 24 * 3600


class PlaceArgs(ma.Schema):
    level = fields.String(
        required=True,
        validate=validate.OneOf(LEVELS),
        metadata={"description": "The level listed.", "example": "regency"},
    )
    parent = Text(
        20,
        load_default="",
        metadata={
            "description": "The code of the place just above (with or without dots): the"
            " province of regencies, the regency of districts, the district of villages."
            " Districts and villages without it need `q` (at least 3 letters).",
            "example": "35",
        },
    )
    q = Text(
        100,
        load_default="",
        metadata={
            "description": "Part of the name, matched regardless of case, spacing and the"
            " words written before names (Kab., Kabupaten, Kota, Kecamatan, Desa, …).",
            "example": "kab malang",
        },
    )


class PlaceListSchema(ma.Schema):
    items = fields.List(fields.Nested(PlaceSchema), required=True)


@blp.route("/places", methods=["GET"])
@blp.arguments(PlaceArgs, location="query")
@blp.response(
    200,
    PlaceListSchema,
    description=f"At most {place_lists.MAX_PLACES} places, best match first (without `q`,"
    " in the order of their codes): every place under a parent fits. Cacheable"
    f" (`private, max-age={MAX_AGE}`, with an ETag).",
)
@problems(blp, *READ, 422)
@require("places.read")
def list_places(args):
    """Official places of a level, under a parent or matching a name: a form's pick-list."""
    found = place_lists.list_places(args["level"], parent=args["parent"], q=args["q"])
    response = jsonify({"items": [place.as_dict() for place in found]})
    response.headers["Cache-Control"] = f"private, max-age={MAX_AGE}"
    response.add_etag()
    return response.make_conditional(request)
