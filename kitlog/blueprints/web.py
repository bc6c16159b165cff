"""Pieces every HTML page shares: the answer to a submitted form (and its audit line),
the local date, the page number of a list."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from kitlog.extensions import db
from kitlog.services import audit

T = TypeVar("T")

PER_PAGE = 50


def form_page(template: str, form=None, **context):
    """Render a page holding a form: 200 when shown, 422 when a submission was refused."""
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status


def saved_redirect(
    form,
    action: Callable[[], T],
    message: Callable[[T], str],
    endpoint: str | Callable[[T], str],
    **values: object,
):
    """Save a submitted form with its one service call, say what was done and go to
    `endpoint` (with `values` for its URL, or a function of what was saved that gives
    the URL); None when the form was not submitted, is not valid or was refused, so
    that the view shows it (again)."""
    if not form.validate_on_submit():
        return None
    saved = form.save(action)
    if saved is None:
        return None
    flash(message(saved), "success")
    return redirect(endpoint(saved) if callable(endpoint) else url_for(endpoint, **values))


def button_redirect(
    form, action: Callable[[], T], message: Callable[[T], str], endpoint: str, **values: object
):
    """A button with no fields of its own: run its one service call, flash what was done
    or why not, and go back to `endpoint`. A POST without a valid CSRF token is a 400."""
    if not form.validate_on_submit():
        abort(400)
    saved = form.save(action)
    if saved is None:
        for error in form.form_errors + [e for errs in form.errors.values() for e in errs]:
            flash(str(error), "error")
    else:
        flash(message(saved), "success")
    return redirect(url_for(endpoint, **values))


def audited(
    event: str,
    object_type: str,
    object_ref: str | int,
    action: Callable[[], T],
    detail: Mapping[str, object] | None = None,
) -> Callable[[], T]:
    """`action`, logged first as `event` by the signed-in user from the request's
    address, in the same transaction: a refusal discards the log line with the change."""

    def logged() -> T:
        audit.record(
            db.session,
            event,
            user=current_user,
            object_type=object_type,
            object_ref=object_ref,
            detail=detail,
            address=request.remote_addr,
        )
        return action()

    return logged


def local_today() -> date:
    """Today in the deployment's time zone (KITLOG_TIMEZONE), not the server's."""
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def page_number() -> int:
    """The ?page= of a list; anything that is not a sensible number is page 1."""
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and 0 < len(value) < 7 and int(value) > 0 else 1
