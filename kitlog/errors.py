"""Error answers: application/problem+json under /api, friendly pages elsewhere."""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import (
    Conflict,
    HTTPException,
    InternalServerError,
    ServiceUnavailable,
)

from kitlog.extensions import db
from kitlog.services.errors import DomainError

TITLES = {
    400: _l("Bad request"),
    401: _l("Not logged in"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("Upload too large"),
    415: _l("Unsupported media type"),
    422: _l("Invalid values"),
    429: _l("Too many attempts"),
    500: _l("Server error"),
    503: _l("Busy"),
}

DETAILS = {
    400: _l("The request could not be read."),
    401: _l("Log in, or send a valid API token."),
    403: _l("Your role does not allow this."),
    404: _l("Nothing was found at this address."),
    405: _l("This address does not accept that method."),
    409: _l("This conflicts with the current state."),
    413: _l("The upload is larger than allowed."),
    415: _l("Send JSON with Content-Type: application/json."),
    422: _l("Some values are not valid."),
    429: _l("Too many attempts. Wait a few minutes and try again."),
    500: _l("Something went wrong on the server. Nothing was changed."),
    503: _l("The database is busy with other work. Nothing was changed: try again in a moment."),
}

RETRY_AFTER_S = 5


# Translated titles and details per (language, status): every error answer looks them
# up, and the catalogs do not change while a process runs.
_TRANSLATED: dict[tuple[str, str, int], str] = {}


def _translated(table: Mapping[int, Any], kind: str, status: int) -> str:
    key = (str(get_locale() or ""), kind, status)
    text = _TRANSLATED.get(key)
    if text is None:
        text = _TRANSLATED[key] = str(table.get(status, _("Error")))
    return text


def translated_title(status: int) -> str:
    return _translated(TITLES, "title", status)


def problem(
    status: int, detail: str | None = None, errors: list[dict] | None = None, **extra
) -> Response:
    """An RFC 9457 problem document in the request's language."""
    body = {
        "type": "about:blank",
        "title": translated_title(status),
        "status": status,
        "detail": str(detail) if detail is not None else _translated(DETAILS, "detail", status),
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    response.headers["Content-Language"] = str(get_locale() or "id")
    return response


def domain_problem(error: DomainError) -> Response:
    field_errors = getattr(error, "errors", None)
    if field_errors:
        errors = [e.as_dict() for e in field_errors]
    else:
        errors = [{"field": error.field, "message": str(error)}] if error.field else None
    return problem(error.status, str(error), errors, **error.extra)


def database_error_summary(error: DBAPIError) -> str:
    """What went wrong in the database, without a value of the row: the error's class,
    its SQLSTATE and the constraint, table and column it names (PostgreSQL's message says
    "Key (nik)=(3507...) already exists"; SQLite's names only the column)."""
    orig = error.orig
    diag = getattr(orig, "diag", None)
    if diag is None:  # SQLite: "UNIQUE constraint failed: households.nik"
        return f"{type(orig).__name__}: {str(orig).splitlines()[0][:200] if str(orig) else ''}"
    named = {
        "constraint": diag.constraint_name,
        "table": diag.table_name,
        "column": diag.column_name,
    }
    parts = [f"{key} {value}" for key, value in named.items() if value]
    return f"{type(orig).__name__} (SQLSTATE {getattr(orig, 'sqlstate', '?')}) " + ", ".join(parts)


def _wants_api() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    from kitlog.blueprints.api.validation import validation_errors  # avoids an import cycle

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        db.session.rollback()
        if _wants_api():
            data = getattr(error, "data", None) or {}
            errors = validation_errors(data.get("messages")) if data.get("messages") else None
            detail = None
            if isinstance(error, CSRFError):
                detail = _("The CSRF token is missing or expired. Reload the page.")
            elif error.code == 400 and errors:  # webargs could not parse the body
                detail = _("The request body is not valid JSON.")
            response = problem(error.code or 500, detail, errors)
            if error.code == 401:
                response.headers["WWW-Authenticate"] = 'Bearer realm="kitlog"'
            valid_methods = getattr(error, "valid_methods", None)
            if error.code == 405 and valid_methods:
                response.headers["Allow"] = ", ".join(valid_methods)
            return response
        if error.code == 401:
            return redirect(url_for("auth.login", next=request.full_path))
        if isinstance(error, CSRFError):
            detail = _("The form expired. Please try again.")
        else:
            detail = str(DETAILS.get(error.code or 500, _("Error")))
        return (
            render_template(
                "errors/error.html",
                status=error.code,
                title=translated_title(error.code or 500),
                detail=detail,
            ),
            error.code,
        )

    @app.errorhandler(IntegrityError)
    def _integrity_error(error: IntegrityError):
        # Two requests raced past a service's check (the same new code at the same
        # instant): the database refused the second; answer as the check would have.
        app.logger.warning(
            "integrity error on %s %s: %s",
            request.method,
            request.path,
            database_error_summary(error),
        )
        return _http_error(Conflict())

    @app.errorhandler(OperationalError)
    def _operational_error(error: OperationalError):
        # SQLite lets one writer in at a time; past the busy timeout the next one gets
        # "database is locked". That is a moment of load, not a bug: say so, change nothing.
        if "database is locked" not in str(error.orig):
            return _unexpected(error)
        app.logger.warning("database busy on %s %s", request.method, request.path)
        response = _http_error(ServiceUnavailable())
        response = app.make_response(response)
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        db.session.rollback()
        if _wants_api():
            return domain_problem(error)
        return (
            render_template(
                "errors/error.html",
                status=error.status,
                title=translated_title(error.status),
                detail=str(error),
            ),
            error.status,
        )

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, DBAPIError):
            # the traceback, but not the message: it may quote the row's values
            app.logger.error(
                "unhandled database error on %s %s: %s\n%s",
                request.method,
                request.path,
                database_error_summary(error),
                "".join(traceback.format_tb(error.__traceback__)),
            )
        else:
            app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if app.config.get("PROPAGATE_EXCEPTIONS") and app.testing:
            raise error
        return _http_error(InternalServerError())
