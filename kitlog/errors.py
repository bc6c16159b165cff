"""Error answers: application/problem+json under /api, friendly pages elsewhere."""

from __future__ import annotations

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from kitlog.extensions import db
from kitlog.services.errors import DomainError

TITLES = {
    400: "Bad request",
    401: "Not logged in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Upload too large",
    415: "Unsupported media type",
    422: "Invalid values",
    429: "Too many attempts",
    500: "Server error",
}

DETAILS = {
    400: "The request could not be read.",
    401: "Log in, or send a valid API token.",
    403: "Your role does not allow this.",
    404: "Nothing was found at this address.",
    405: "This address does not accept that method.",
    409: "This conflicts with the current state.",
    413: "The upload is larger than allowed.",
    415: "Send JSON with Content-Type: application/json.",
    422: "Some values are not valid.",
    429: "Too many attempts. Wait a few minutes and try again.",
    500: "Something went wrong on the server. Nothing was changed.",
}


def translated_title(status: int) -> str:
    return _(TITLES.get(status, "Error"))


def problem(
    status: int, detail: str | None = None, errors: list[dict] | None = None, **extra
) -> Response:
    """An RFC 9457 problem document in the request's language."""
    body = {
        "type": "about:blank",
        "title": translated_title(status),
        "status": status,
        "detail": detail if detail is not None else _(DETAILS.get(status, "Error")),
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def domain_problem(error: DomainError) -> Response:
    errors = [{"field": error.field, "message": str(error)}] if error.field else None
    return problem(error.status, str(error), errors, **error.extra)


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
            elif error.code == 400 and errors is None:
                detail = _("The request body is not valid JSON.")
            response = problem(error.code or 500, detail, errors)
            if error.code == 401:
                response.headers["WWW-Authenticate"] = 'Bearer realm="kitlog"'
            return response
        if error.code == 401:
            return redirect(url_for("auth.login", next=request.full_path))
        if isinstance(error, CSRFError):
            detail = _("The form expired. Please try again.")
        else:
            detail = _(DETAILS.get(error.code or 500, "Error"))
        return (
            render_template(
                "errors/error.html",
                status=error.code,
                title=translated_title(error.code or 500),
                detail=detail,
            ),
            error.code,
        )

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
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if app.config.get("PROPAGATE_EXCEPTIONS") and app.testing:
            raise error
        return _http_error(InternalServerError())
