"""Follow-ups: the list by round and warehouse, and putting them on the next manifest."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from kitlog.blueprints.follow_ups import bp
from kitlog.blueprints.follow_ups.forms import FollowUpFilterForm, PutOnManifestForm
from kitlog.extensions import db
from kitlog.models import Manifest, Parcel, Round
from kitlog.security import can, require
from kitlog.services import audit, queries
from kitlog.services import follow_ups as service
from kitlog.services.manifests import MAX_PARCELS


def _manifest_label(manifest):
    return f"{manifest.number} · {manifest.destination}"


def _page(form=None, status=200):
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
    names = can("households.read")
    if names and items:
        audit.record_look(
            db.session,
            "follow_ups.households",
            user=current_user,
            object_type="round",
            object_ref=str(round_id or ""),
            detail={"households": len({i.household_code for i in items})},
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
        names=names,
        filters=filters,
        filter_args=filter_args,
        form=form,
        chosen=chosen,
        flag_after=service.FLAG_AFTER_FAILED_ATTEMPTS,
    ), (status if valid else 422)


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
