"""Manifests: list, open a new one, follow one and dispatch it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from kitlog.blueprints.manifests import bp
from kitlog.blueprints.manifests.forms import (
    MANIFEST_STATUS_LABELS,
    DispatchForm,
    ManifestFilterForm,
    ManifestForm,
)
from kitlog.blueprints.stock.forms import warehouse_label
from kitlog.blueprints.web import PER_PAGE, form_page, page_number
from kitlog.extensions import db
from kitlog.models import Manifest, Warehouse
from kitlog.security import require
from kitlog.services import manifests as service
from kitlog.services import queries


def _manifest_or_404(manifest_id: int) -> Manifest:
    return db.get_or_404(Manifest, manifest_id)


def _station_url(manifest: Manifest) -> str:
    """The scan station in load mode for this manifest."""
    try:
        return url_for("scan.station", mode="load", manifest=manifest.id)
    except BuildError:  # the station is not registered (yet)
        return f"/scan/?mode=load&manifest={manifest.id}"


@bp.app_template_filter("manifest_status_label")
def manifest_status_label(status: str | None) -> str:
    return str(MANIFEST_STATUS_LABELS.get(status or "", status or ""))


@bp.route("/")
@require("manifests.read")
def index():
    """Every manifest, newest first, by status and warehouse, with its parcels counted."""
    filters = ManifestFilterForm(request.args)
    warehouses = queries.warehouses_by_code(db.session)
    filters.warehouse.set_options(warehouses)
    valid = filters.validate()
    query = service.manifests_query(
        status=filters.status.data or None if valid else None,
        warehouse_id=filters.warehouse.data if valid else None,
    )
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    counts = service.manifest_counts(db.session, [m.id for m in page.items])
    filter_args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "manifests/index.html",
        page=page,
        rows=[(m, counts[m.id]) for m in page.items],
        filters=filters,
        filter_args=filter_args,
    ), (200 if valid else 422)


@bp.route("/new", methods=["GET", "POST"])
@require("manifests.write")
def new_manifest():
    """Open a manifest for one trip: warehouse, destination, vehicle, driver."""
    form = ManifestForm()
    form.warehouse.set_options(queries.warehouses_by_code(db.session), warehouse_label)
    if form.validate_on_submit():
        created = form.save(
            lambda: service.create_manifest(
                db.session,
                warehouse=db.session.get(Warehouse, form.warehouse.data),
                destination=form.destination.data,
                vehicle=form.vehicle.data,
                driver_name=form.driver_name.data,
                driver_phone=form.driver_phone.data or "",
                planned_date=form.planned_date.data,
                parcels=form.parcel_codes(),
                note=form.note.data or "",
                user=current_user,
            )
        )
        if created is not None:
            flash(_("Manifest %(number)s is open for loading.", number=created.number), "success")
            return redirect(url_for(".show", manifest_id=created.id))
    return form_page("manifests/form.html", form)


@bp.route("/<int:manifest_id>")
@require("manifests.read")
def show(manifest_id: int):
    """One manifest: the trip, its parcels and households, and the Dispatch button."""
    manifest = _manifest_or_404(manifest_id)
    return render_template(
        "manifests/show.html",
        manifest=manifest,
        counts=service.manifest_counts(db.session, [manifest.id])[manifest.id],
        parcels=service.manifest_parcels(db.session, manifest),
        form=DispatchForm(),
        station_url=_station_url(manifest),
        active_nav="manifests.index",
    )


@bp.route("/<int:manifest_id>/dispatch", methods=["POST"])
@require("manifests.write")
def dispatch(manifest_id: int):
    """Dispatch an open manifest: its kits leave the stock and its parcels the warehouse."""
    manifest = _manifest_or_404(manifest_id)
    form = DispatchForm()
    if not form.validate_on_submit():
        abort(400)
    done = form.save(lambda: service.dispatch_manifest(db.session, manifest, user=current_user))
    if done is None:
        for error in form.form_errors:
            flash(str(error), "error")
    else:
        flash(_("Manifest %(number)s is dispatched.", number=done.number), "success")
    return redirect(url_for(".show", manifest_id=manifest_id))
