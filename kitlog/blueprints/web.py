"""Pieces every HTML page shares: the answer to a submitted form, the local date, and
the template filters that label stored codes in the reader's language."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request

from kitlog.blueprints import labels

PER_PAGE = 50


def form_page(template: str, form=None, **context):
    """Render a page holding a form: 200 when shown, 422 when a submission was refused."""
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status


def local_today() -> date:
    """Today in the deployment's time zone (KITLOG_TIMEZONE), not the server's."""
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def page_number() -> int:
    """The ?page= of a list; anything that is not a sensible number is page 1."""
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and 0 < len(value) < 7 and int(value) > 0 else 1


def register_template_helpers(bp: Blueprint) -> None:
    """Make the label filters available to every template of the app."""
    bp.add_app_template_filter(labels.role_label, "role_label")
    bp.add_app_template_filter(labels.kind_label, "kind_label")
    bp.add_app_template_filter(labels.language_label, "language_label")
    bp.add_app_template_filter(labels.reason_label, "reason_label")
    bp.add_app_template_global(labels.LANGUAGE_LABELS, "language_labels")
