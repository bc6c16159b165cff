"""The problem+json answers, as the OpenAPI document describes them."""

from __future__ import annotations

import http
from collections.abc import Callable

import marshmallow as ma
from marshmallow import fields

PROBLEM_JSON = "application/problem+json"


class PlaceSchema(ma.Schema):
    """One of Indonesia's official administrative areas."""

    code = fields.String(required=True, metadata={"example": "35.07"})
    name = fields.String(required=True, metadata={"example": "Kabupaten Malang"})
    level = fields.String(required=True, metadata={"example": "regency"})
    parent = fields.String(allow_none=True, metadata={"example": "35"})


class ProblemErrorSchema(ma.Schema):
    row = fields.Integer(metadata={"description": "The spreadsheet line, for imports."})
    field = fields.String(required=True, metadata={"description": "The field it concerns."})
    message = fields.String(required=True, metadata={"description": "What is wrong with it."})
    location = fields.String(metadata={"description": "json, query or path."})
    suggestions = fields.List(
        fields.Nested(PlaceSchema),
        metadata={"description": "Official places the value may have meant (at most 3)."},
    )


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem, in the language the request asked for."""

    class Meta:
        unknown = ma.INCLUDE  # problems may carry extension members

    type = fields.String(required=True, metadata={"example": "about:blank"})
    title = fields.String(required=True, metadata={"example": "Invalid values"})
    status = fields.Integer(required=True, metadata={"example": 422})
    detail = fields.String(required=True, metadata={"example": "Some values are not valid."})
    errors = fields.List(fields.Nested(ProblemErrorSchema))


class OutOfStockProblemSchema(ProblemSchema):
    """409: fewer kits are available than asked for."""

    requested = fields.Integer(metadata={"description": "Kits the request needed."})
    available = fields.Integer(metadata={"description": "Kits available (on hand - reserved)."})


def problems(blp, *statuses: int) -> Callable:
    """Document these error answers of a view, each as the shared problem response."""

    def decorate(view: Callable) -> Callable:
        for status in statuses:
            view = blp.alt_response(status, response=http.HTTPStatus(status).name)(view)
        return view

    return decorate


def out_of_stock(blp) -> Callable:
    """Document the 409 a stock write answers when the stock is short."""
    return blp.alt_response(
        409,
        schema=OutOfStockProblemSchema,
        content_type=PROBLEM_JSON,
        description="Not enough stock: nothing was written.",
    )


READ = (401, 403)
WRITE = (400, 401, 403, 415)
