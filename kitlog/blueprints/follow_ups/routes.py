"""Follow-ups: the list by round and warehouse, and putting them on the next manifest."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from kitlog.blueprints.follow_ups import bp
from kitlog.blueprints.follow_ups.forms import (
    FollowUpFilterForm,
    PutOnManifestForm,
    ResolveFlagForm,
)
from kitlog.extensions import db
from kitlog.models import Manifest, Parcel, Round
from kitlog.security import can, require
from kitlog.services import audit, queries
from kitlog.services import follow_ups as service
from kitlog.services.manifests import MAX_PARCELS
from kitlog.services.parcel_codes import format_short_code


def _manifest_label(manifest):
    return f"{manifest.number} · {manifest.destination}"


def _page(form=None, status=200, resolving=None):
    """The list, filtered by ?round= and ?warehouse=, with the form for the warehouse."""
    filters = FollowUpFilterForm(request.args)
    filters.round.set_options(
        db.session.scalars(select(Round).order_by(Round.id.desc())).all(), lambda r: r.name
    )
    filters.warehouse.set_options(queries.warehouses_by_code(db.session))
    valid = filters.validate()
    round_id = filters.round.data if valid else None
    warehouse_id = filters.warehouse.data if valid else None
    items = service.follow_ups(db.session, round_id=round_id, warehouse_id=warehouse_id)
    mismatches = service.card_mismatches(db.session, round_id=round_id, warehouse_id=warehouse_id)
    names = can("households.read")
    if names and (items or mismatches):
        # A POST shown again holds the write transaction (SQLite's lock): its look is
        # written in it, as record_look's own transaction would wait on that lock.
        look = audit.record if request.method == "POST" else audit.record_look
        look(
            db.session,
            "follow_ups.households",
            user=current_user,
            object_type="round",
            object_ref=str(round_id or ""),
            detail={
                "households": len(
                    {i.household_code for i in items} | {m.household_code for m in mismatches}
                )
            },
            address=request.remote_addr,
        )
    form = form or PutOnManifestForm(formdata=None)
    if can("manifests.write"):
        warehouses = {i.warehouse_id for i in items}
        form.manifest.set_options(service.open_manifests(db.session, warehouses), _manifest_label)
    chosen = set(request.form.getlist("parcels", type=int)) if request.method == "POST" else set()
    filter_args = {k: v for k, v in request.args.items() if v}
    return render_template(
        "follow_ups/index.html",
        items=items,
        mismatches=mismatches,
        resolve_forms=_resolve_forms(mismatches, resolving),
        names=names,
        filters=filters,
        filter_args=filter_args,
        form=form,
        chosen=chosen,
        flag_after=service.FLAG_AFTER_FAILED_ATTEMPTS,
    ), (status if valid else 422)


def _resolve_forms(mismatches, resolving) -> dict:
    """A form for each card mismatch the user may resolve, each with its own field ids;
    the one whose resolution was refused keeps its note and error."""
    if not can("follow_ups.resolve"):
        return {}
    forms = {m.id: ResolveFlagForm(formdata=None, prefix=_prefix(m.id)) for m in mismatches}
    if resolving is not None and resolving[0] in forms:
        forms[resolving[0]] = resolving[1]
    return forms


def _prefix(parcel_id: int) -> str:
    return f"flag-{parcel_id}"


@bp.route("/")
@require("follow_ups.read")
def index():
    """Parcels whose last attempt at the door failed and that are still owed."""
    return _page()


@bp.route("/load", methods=["POST"])
@require("manifests.write")
def load():
    """Put the chosen follow-ups on an open manifest in one action (all or none)."""
    form = PutOnManifestForm()
    form.manifest.set_options(service.open_manifests(db.session), _manifest_label)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _page(form, 422)
    ids = request.form.getlist("parcels", type=int)[: MAX_PARCELS + 1]
    parcels = list(db.session.scalars(select(Parcel).where(Parcel.id.in_(ids)).order_by(Parcel.id)))
    manifest = db.session.get(Manifest, form.manifest.data)
    moved = form.save(
        lambda: service.put_on_manifest(db.session, manifest, parcels, user=current_user)
    )
    if moved is None:
        return _page(form, 409 if form.refused else 422)
    flash(
        ngettext(
            "%(num)s follow-up is on manifest %(number)s.",
            "%(num)s follow-ups are on manifest %(number)s.",
            len(moved),
            number=manifest.number,
        ),
        "success",
    )
    return redirect(url_for("manifests.show", manifest_id=manifest.id))


@bp.route("/<int:parcel_id>/resolve", methods=["POST"])
@require("follow_ups.resolve")
def resolve(parcel_id: int):
    """Resolve a parcel's card mismatch with a short note (audited), clearing its flag."""
    parcel = db.get_or_404(Parcel, parcel_id)
    form = ResolveFlagForm(prefix=_prefix(parcel.id))
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _page(status=422, resolving=(parcel.id, form))
    resolved = form.save(
        lambda: service.resolve_flag(
            db.session(),
            parcel,
            note=form.note.data,
            user=current_user,
            address=request.remote_addr,
        )
    )
    if resolved is None:
        return _page(status=409 if form.form_errors else 422, resolving=(parcel.id, form))
    flash(
        _(
            "The card mismatch of parcel %(code)s is resolved.",
            code=format_short_code(resolved.short_code),
        ),
        "success",
    )
    back: dict[str, Any] = dict(request.args.items())  # the list's filters
    return redirect(url_for(".index", **back))
