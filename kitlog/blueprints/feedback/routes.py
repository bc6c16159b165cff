"""Feedback and complaints: the list (oldest first, with the days each has been open),
one entry with its history and its answer, and recording a hotline call or an officer's
entry. Who reads what is the service's rule; every reading of a sensitive entry is
audited."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from kitlog.blueprints.feedback import bp
from kitlog.blueprints.feedback.forms import (
    EVERY,
    FeedbackFilterForm,
    FeedbackForm,
    FeedbackStatusForm,
)
from kitlog.extensions import db
from kitlog.models import Feedback
from kitlog.models.base import utcnow
from kitlog.security import can, require
from kitlog.services import feedback as service
from kitlog.services.errors import NotFound


def _entry(number: str) -> Feedback:
    """The entry the URL names, if the user may read it; 404 otherwise (a field officer
    is not told that a sensitive entry, or another officer's, exists)."""
    try:
        return service.readable_entry(db.session(), current_user, number=number)
    except NotFound:
        abort(404)


@bp.route("/")
@require("feedback.read")
def index():
    """Feedback still waiting (or as filtered), oldest first, with the days each has been
    open; sensitive entries marked, and only for administrators."""
    filters = FeedbackFilterForm(request.args)
    valid = filters.validate()
    status = filters.status.data if valid else ""
    category = (filters.category.data if valid else "") or None
    if status == EVERY:
        statuses: str | tuple[str, ...] | None = None
    else:
        statuses = status or service.WAITING
    entries = service.visible_feedback(db.session, current_user, status=statuses, category=category)
    service.audit_sensitive_reads(
        db.session(), entries, user=current_user, address=request.remote_addr
    )
    filter_args = {k: v for k, v in request.args.items() if v and k in ("status", "category")}
    return render_template(
        "feedback/index.html",
        entries=entries,
        filters=filters,
        filter_args=filter_args,
        now=utcnow(),
        days_open=service.days_open,
    ), (200 if valid else 422)


@bp.route("/new", methods=["GET", "POST"])
@require("feedback.record")
def new():
    """Record a hotline call or a field officer's entry; a refusal keeps what was typed and
    says what is wrong next to each field."""
    form = FeedbackForm()
    if request.method == "GET":
        form.household.data = (request.args.get("household") or "")[:16] or None
        form.parcel.data = (request.args.get("parcel") or "")[:200] or None
        if not form.channel.data:
            form.channel.data = "officer" if current_user.role == "field" else "phone"
    if form.validate_on_submit():
        recorded = form.save(
            lambda: service.record_feedback(db.session, form.values(), user=current_user)
        )
        if recorded is not None:
            entry = recorded.feedback
            flash(_("Feedback %(number)s is recorded.", number=entry.number), "success")
            if service.may_read(current_user, entry):
                return redirect(url_for(".show", number=entry.number))
            return redirect(url_for(".index"))
    elif form.csrf_token.errors and request.method == "POST":
        abort(400)
    status = 422 if request.method == "POST" else 200
    return render_template("feedback/new.html", form=form, active_nav="feedback.index"), status


def _show(entry: Feedback, form: FeedbackStatusForm | None = None, *, audited: bool = False):
    """The entry's page; its reading logged when it is sensitive (`audited`: a refused
    answer is logged in the request's own transaction)."""
    service.audit_sensitive_reads(
        db.session(),
        [entry],
        user=current_user,
        address=request.remote_addr,
        in_transaction=audited,
    )
    if form is None and can("feedback.manage"):
        form = FeedbackStatusForm(formdata=None)
    return render_template(
        "feedback/show.html",
        entry=entry,
        form=form,
        days=service.days_open(entry, utcnow()),
        active_nav="feedback.index",
    ), (422 if request.method == "POST" else 200)


@bp.route("/<number>")
@require("feedback.read")
def show(number: str):
    """One entry: its household and parcel, its history, and for an administrator the
    form that answers it."""
    return _show(_entry(number))


@bp.route("/<number>/status", methods=["POST"])
@require("feedback.manage")
def change_status(number: str):
    """Move the entry to another status with a response (required to resolve or close)."""
    entry = _entry(number)
    form = FeedbackStatusForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _show(entry, form, audited=True)
    saved = form.save(
        lambda: service.change_status(
            db.session(), entry, form.status.data, form.response.data, user=current_user
        )
    )
    if saved is None:
        return _show(_entry(number), form, audited=True)
    flash(_("Feedback %(number)s is saved.", number=saved.number), "success")
    return redirect(url_for(".show", number=saved.number))
