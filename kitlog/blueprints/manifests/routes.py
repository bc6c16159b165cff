"""Manifests: list, open a new one, load it by area, take parcels off, dispatch, close,
cancel, print."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.routing import BuildError

from kitlog.blueprints.manifests import bp
from kitlog.blueprints.manifests.forms import (
    AreaForm,
    CancelForm,
    CloseForm,
    DispatchForm,
    ManifestFilterForm,
    ManifestForm,
)
from kitlog.blueprints.manifests.pdf import manifest_pdf_response
from kitlog.blueprints.stock.forms import warehouse_label
from kitlog.blueprints.web import PER_PAGE, button_redirect, form_page, page_number, saved_redirect
from kitlog.extensions import db
from kitlog.models import Manifest, Parcel, Round, Warehouse
from kitlog.security import require
from kitlog.services import manifests as service
from kitlog.services import queries
from kitlog.services.parcel_codes import format_short_code


def _manifest_or_404(manifest_id: int) -> Manifest:
    return db.get_or_404(Manifest, manifest_id)


def _station_url(manifest: Manifest) -> str:
    """The scan station in load mode for this manifest."""
    try:
        return url_for("scan.station", mode="load", manifest=manifest.id)
    except BuildError:  # the station is not registered (yet)
        return f"/scan/?mode=load&manifest={manifest.id}"


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
    done = saved_redirect(
        form,
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
        ),
        lambda created: _("Manifest %(number)s is open for loading.", number=created.number),
        lambda created: url_for(".show", manifest_id=created.id),
    )
    return done or form_page("manifests/form.html", form)


def _show(manifest: Manifest, *, area_form=None, cancel_form=None, status: int = 200):
    """The manifest page, with its forms (refused ones keep their errors)."""
    areas = service.waiting_areas(db.session, manifest.warehouse_id)
    area_form = area_form or AreaForm(formdata=None)
    area_form.round.set_options(areas.rounds, lambda r: r.name)
    totals, provisional = service.manifest_totals(db.session, manifest)
    return render_template(
        "manifests/show.html",
        manifest=manifest,
        counts=service.manifest_counts(db.session, [manifest.id])[manifest.id],
        parcels=service.manifest_parcels(db.session, manifest),
        outcomes=service.manifest_outcomes(db.session, manifest),
        totals=totals,
        provisional=provisional,
        areas=areas,
        form=DispatchForm(),
        area_form=area_form,
        cancel_form=cancel_form or CancelForm(formdata=None),
        station_url=_station_url(manifest),
        active_nav="manifests.index",
    ), status


def _show_refused(manifest: Manifest, **form):
    """The manifest page again with the refused form (422); a post whose CSRF token is
    not valid is a 400."""
    if any(f.csrf_token.errors for f in form.values()):
        abort(400)
    return _show(manifest, status=422, **form)


@bp.route("/<int:manifest_id>")
@require("manifests.read")
def show(manifest_id: int):
    """One manifest: the trip, its parcels and households, and what can be done with it."""
    return _show(_manifest_or_404(manifest_id))


@bp.route("/<int:manifest_id>.pdf")
@require("manifests.read")
def pdf(manifest_id: int):
    """The printed manifest (waybill), to sign."""
    return manifest_pdf_response(_manifest_or_404(manifest_id))


@bp.route("/<int:manifest_id>/parcels", methods=["POST"])
@require("manifests.write")
def add_by_area(manifest_id: int):
    """Load every packed parcel of a round in a district and/or village onto the manifest."""
    manifest = _manifest_or_404(manifest_id)
    form = AreaForm()
    areas = service.waiting_areas(db.session, manifest.warehouse_id)
    form.round.set_options(areas.rounds, lambda r: r.name)
    done = saved_redirect(
        form,
        lambda: service.add_parcels_by_area(
            db.session,
            manifest,
            round=db.session.get(Round, form.round.data),
            **form.area(),
            user=current_user,
        ),
        lambda added: ngettext(
            "%(num)s parcel loaded onto %(number)s.",
            "%(num)s parcels loaded onto %(number)s.",
            len(added),
            number=manifest.number,
        ),
        ".show",
        manifest_id=manifest_id,
    )
    return done or _show_refused(manifest, area_form=form)


@bp.route("/<int:manifest_id>/parcels/<int:parcel_id>/remove", methods=["POST"])
@require("manifests.write")
def remove(manifest_id: int, parcel_id: int):
    """Take a parcel off a manifest that has not left yet."""
    manifest = _manifest_or_404(manifest_id)
    parcel = db.get_or_404(Parcel, parcel_id)
    return button_redirect(
        DispatchForm(),
        lambda: service.remove_parcel(db.session, manifest, parcel, user=current_user),
        lambda _parcel: _(
            "Parcel %(code)s is off manifest %(number)s; it stays packed.",
            code=format_short_code(parcel.short_code),
            number=manifest.number,
        ),
        ".show",
        manifest_id=manifest_id,
    )


@bp.route("/<int:manifest_id>/cancel", methods=["POST"])
@require("manifests.write")
def cancel(manifest_id: int):
    """Cancel a manifest that has not left: it stays, numbered, as void."""
    manifest = _manifest_or_404(manifest_id)
    form = CancelForm()
    done = saved_redirect(
        form,
        lambda: service.cancel_manifest(
            db.session, manifest, reason=form.reason.data, user=current_user
        ),
        lambda cancelled: _("Manifest %(number)s is cancelled (void).", number=cancelled.number),
        ".show",
        manifest_id=manifest_id,
    )
    return done or _show_refused(manifest, cancel_form=form)


@bp.route("/<int:manifest_id>/close", methods=["GET", "POST"])
@require("manifests.write")
def close(manifest_id: int):
    """Close a dispatched manifest: what did not reach its household goes back to stock."""
    manifest = _manifest_or_404(manifest_id)
    if request.method == "GET" and manifest.status != "dispatched":
        return redirect(url_for(".show", manifest_id=manifest_id))
    form = CloseForm()
    done = saved_redirect(
        form,
        lambda: service.close_manifest(
            db.session, manifest, reason=form.reason.data or "", user=current_user
        ),
        lambda closed: _("Manifest %(number)s is closed.", number=closed.number),
        ".show",
        manifest_id=manifest_id,
    )
    return done or form_page(
        "manifests/close.html",
        form,
        manifest=manifest,
        counts=service.manifest_counts(db.session, [manifest.id])[manifest.id],
        coming_back=service.unaccounted_parcels(db.session, manifest),
        active_nav="manifests.index",
    )


@bp.route("/<int:manifest_id>/dispatch", methods=["POST"])
@require("manifests.write")
def dispatch(manifest_id: int):
    """Dispatch an open manifest: its kits leave the stock and its parcels the warehouse."""
    manifest = _manifest_or_404(manifest_id)
    return button_redirect(
        DispatchForm(),
        lambda: service.dispatch_manifest(db.session, manifest, user=current_user),
        lambda dispatched: _("Manifest %(number)s is dispatched.", number=dispatched.number),
        ".show",
        manifest_id=manifest_id,
    )
