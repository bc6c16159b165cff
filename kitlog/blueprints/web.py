"""Pieces every HTML page shares: the answer to a submitted form, the local date, the
page number of a list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, render_template, request, url_for

T = TypeVar("T")

PER_PAGE = 50


def form_page(template: str, form=None, **context):
    """Render a page holding a form: 200 when shown, 422 when a submission was refused."""
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status


def saved_redirect(form, action: Callable[[], T], message: Callable[[T], str], endpoint: str):
    """Save a submitted form with its one service call, say what was done and go to
    `endpoint`; None when the form was not submitted, is not valid or was refused, so
    that the view shows it (again)."""
    if not form.validate_on_submit():
        return None
    saved = form.save(action)
    if saved is None:
        return None
    flash(message(saved), "success")
    return redirect(url_for(endpoint))


def local_today() -> date:
    """Today in the deployment's time zone (KITLOG_TIMEZONE), not the server's."""
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def page_number() -> int:
    """The ?page= of a list; anything that is not a sensible number is page 1."""
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and 0 < len(value) < 7 and int(value) > 0 else 1
