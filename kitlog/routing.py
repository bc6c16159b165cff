"""URL converters shared by every blueprint."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_DATABASE_INT = 2**31 - 1  # INTEGER primary keys on both SQLite and PostgreSQL


class DatabaseIntConverter(IntegerConverter):
    """`<int:...>` that only matches numbers a database id can hold.

    A larger number in a URL answers 404 instead of overflowing the database driver.
    """

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's own signature
        kwargs.setdefault("max", MAX_DATABASE_INT)
        super().__init__(map, *args, **kwargs)


def init_app(app) -> None:
    app.url_map.converters["int"] = DatabaseIntConverter
