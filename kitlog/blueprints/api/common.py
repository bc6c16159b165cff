"""Shared API pieces: strict fields, a strict JSON parser, pagination, lookups."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import abort, current_app, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import func, select
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.routing import BaseConverter

from kitlog.extensions import db
from kitlog.services import audit
from kitlog.services.errors import InvalidValue, NotFound
from kitlog.text import storable

MAX_ID = 2**31 - 1  # the integer primary keys of both databases
CODE_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}"


class Text(fields.String):
    """A trimmed string with a maximum length, storable (`kitlog.text.storable`)."""

    def __init__(self, max_length: int, *, required: bool = False, **kwargs):
        self.max_length = max_length
        metadata = {"maxLength": max_length, **kwargs.pop("metadata", {})}
        super().__init__(required=required, metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        # Length first: a 10 MB string is refused without scanning it character by character.
        if len(text) > self.max_length:
            raise ma.ValidationError(
                gettext("Keep this under %(n)s characters.", n=self.max_length)
            )
        if not storable(text):
            raise ma.ValidationError(gettext("Contains characters that are not allowed."))
        return text


def Code(**kwargs) -> Text:  # noqa: N802 - a field factory reads like a field
    """The code of a donor, kit type or warehouse (KOICA, HK-FAM, JKT-01)."""
    metadata = {"example": kwargs.pop("example", "JKT-01"), **kwargs.pop("metadata", {})}
    return Text(32, metadata=metadata, **kwargs)


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


def Id(*, strict: bool = True, **kwargs) -> fields.Integer:  # noqa: N802
    """The id of an object that has no code (a batch); always fits the database column.

    Strict in a JSON body (no "5"); a query string only has strings, so not there.
    """
    return fields.Integer(
        strict=strict,
        validate=validate.Range(min=1, max=MAX_ID, error="Nothing is known by this id."),
        **kwargs,
    )


class Flag(fields.Boolean):
    """A JSON true or false, nothing else (1, "true" and "yes" are refused)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class DecimalNumber(fields.Decimal):
    """Read as an exact Decimal; written as a JSON number (Flask would write a string)."""

    def __init__(self, places: int, **kwargs):
        super().__init__(places=places, as_string=False, allow_nan=False, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        number = super()._serialize(value, attr, obj, **kwargs)
        return None if number is None else float(number)


class IsoDate(fields.Date):
    """A date written YYYY-MM-DD, and no other of the forms ISO 8601 allows."""

    _FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")

    FIRST, LAST = date(1900, 1, 1), date(2999, 12, 31)  # and no overflow a day later

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not self._FORM.match(value):
            raise self.make_error("invalid")
        day = super()._deserialize(value, attr, data, **kwargs)
        if not self.FIRST <= day <= self.LAST:
            raise ma.ValidationError(
                gettext(
                    "Enter a date from %(first)s to %(last)s.", first=self.FIRST, last=self.LAST
                )
            )
        return day


class LocalDateTime(fields.DateTime):
    """An ISO 8601 time with the offset of the deployment's time zone.

    SQLite hands timestamps back without their zone; kitlog stores them in UTC.
    """

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        zone = ZoneInfo(current_app.config["TIMEZONE"])
        return value.astimezone(zone).isoformat()


class PageArgs(ma.Schema):
    """?page=1&per_page=50; an empty filter (`?warehouse=`) is no filter."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))

    @ma.pre_load
    def _drop_empty(self, data, **kwargs):
        return {key: value for key, value in data.items() if value != ""}


def acting_user():
    """The user behind this request, as the model object the services record."""
    return current_user._get_current_object()


def record_action(
    action: str, object_type: str, object_ref: str | int, detail: dict | None = None
) -> None:
    """Log what the acting user did to an object, with the request's address, in the
    request's transaction (it stands or falls with the change it records)."""
    audit.record(
        db.session,
        action,
        user=acting_user(),
        object_type=object_type,
        object_ref=object_ref,
        detail=detail,
        address=request.remote_addr,
    )


def described(doc: str) -> Callable:
    """Give a view made by a function its own docstring, which the OpenAPI document shows
    as the operation's summary (and the rest as its description)."""

    def describe(view: Callable) -> Callable:
        view.__doc__ = doc
        return view

    return describe


def page_of(
    query,
    page: int,
    per_page: int,
    dump: Callable | None = None,
    *,
    dump_all: Callable[[Sequence], list] | None = None,
) -> dict:
    """`{items, page, per_page, total}` for a select() of model rows.

    `dump` turns one row into a dict; `dump_all` turns the whole page at once, for
    answers that need one more query for the page rather than one per row.
    """
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    items = dump_all(rows) if dump_all is not None else [dump(r) for r in rows]
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def page_of_list(items: Sequence, page: int, per_page: int) -> dict:
    """The same shape for a list already in memory."""
    start = (page - 1) * per_page
    return {
        "items": list(items[start : start + per_page]),
        "page": page,
        "per_page": per_page,
        "total": len(items),
    }


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    return ma.Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
            "total": fields.Integer(required=True),
        },
        name=name,
    )


def resolve(model, code, field_name: str):
    """The object a code in a request names; 422 naming the field when unknown."""
    from kitlog.services.reference import get_by_code

    try:
        return get_by_code(db.session, model, code, field_name)
    except NotFound as error:
        raise InvalidValue(error.message, field=field_name) from None


def resolve_id(model, object_id: int, field_name: str):
    """The object an id in a request names; 422 naming the field when unknown."""
    obj = db.session.get(model, object_id) if 1 <= object_id <= MAX_ID else None
    if obj is None:
        raise InvalidValue(_l("Nothing is known by the id %(id)s.", id=object_id), field=field_name)
    return obj


def id_part(name: str) -> str:
    """The part of a URL rule that names an object by its id: anything but a whole number
    the primary keys can hold is a 404 before any query runs."""
    return f"<int(min=1, max={MAX_ID}):{name}>"


def get_or_404(model, object_id: int, message):
    """The object a URL names by id, or a 404 problem with this (translated) message."""
    obj = db.session.get(model, object_id) if 1 <= object_id <= MAX_ID else None
    if obj is None:
        raise NotFound(message)
    return obj


class CodeConverter(BaseConverter):
    """A code in a URL: anything else is a 404 before any query runs."""

    regex = CODE_PATTERN


class JsonOnlyParser(FlaskParser):
    """webargs' parser, stricter: a JSON body must be sent as JSON, and any body that
    cannot be read is a 400, never a 500 (deep nesting, 5,000-digit numbers)."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            if req.mimetype or req.get_data(cache=True):
                abort(415)
            return core.missing
        try:
            return core.parse_json(req.get_data(cache=True))
        except json.JSONDecodeError:
            raise
        except (ValueError, RecursionError) as error:
            # int() refuses numbers of more than 4,300 digits; the decoder refuses deep nesting
            raise json.JSONDecodeError(str(error), "?", 0) from error


class ApiBlueprint(Blueprint):
    """flask-smorest's Blueprint with kitlog's strict JSON parser."""

    ARGUMENTS_PARSER = JsonOnlyParser()

    def page_route(
        self,
        rule: str,
        item_schema: type[ma.Schema],
        page_name: str,
        args: type[ma.Schema] = PageArgs,
        description: str | None = None,
        **options,
    ) -> Callable:
        """A GET that answers one page of a list (`page_of`): its query string read with
        `args` (`PageArgs` or a subclass with the list's filters), its answer documented as
        `{items, page, per_page, total}` of `item_schema`."""
        page = page_schema(item_schema, page_name)

        def decorate(view: Callable) -> Callable:
            view = self.response(200, page, description=description)(view)
            view = self.arguments(args, location="query")(view)
            return self.route(rule, methods=["GET"], **options)(view)

        return decorate
