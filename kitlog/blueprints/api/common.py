"""Shared API pieces: strict string fields, pagination, lookups by code."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import gettext
from marshmallow import fields, validate
from sqlalchemy import func, select

from kitlog.extensions import db


class Text(fields.String):
    """A trimmed string with a maximum length and no control characters."""

    def __init__(self, max_length: int, *, required: bool = False, **kwargs):
        self.max_length = max_length
        super().__init__(required=required, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text):
            raise ma.ValidationError(gettext("Contains characters that are not allowed."))
        if len(text) > self.max_length:
            raise ma.ValidationError(
                gettext("Keep this under %(n)s characters.", n=self.max_length)
            )
        return text


def Quantity(**kwargs) -> fields.Integer:  # noqa: N802 - a field factory reads like a field
    """A whole number of kits that fits the database column (strict: no "5" or 5.0)."""
    return fields.Integer(
        strict=True,
        validate=validate.Range(
            min=kwargs.pop("min", 0),
            max=10_000_000,
            error="This number of kits is out of range.",
        ),
        **kwargs,
    )


class PageArgs(ma.Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


def page_of(query, page: int, per_page: int, dump) -> dict:
    """`{items, page, per_page, total}` for a select() of model rows."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [dump(r) for r in rows], "page": page, "per_page": per_page, "total": total}


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    return ma.Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "total": fields.Integer(),
        },
        name=name,
    )


def resolve(model, code, field_name: str):
    """The object a code in a request body names; 422 naming the field when unknown."""
    from kitlog.services.errors import InvalidValue, NotFound
    from kitlog.services.reference import get_by_code

    try:
        return get_by_code(db.session, model, code, field_name)
    except NotFound as error:
        raise InvalidValue(error.message, field=field_name) from None
