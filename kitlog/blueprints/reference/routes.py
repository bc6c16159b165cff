"""Donors, kit types and warehouses: lists for staff, create forms for the admin."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from kitlog.blueprints.reference import bp
from kitlog.blueprints.reference.forms import DonorForm, KitTypeForm, WarehouseForm
from kitlog.blueprints.web import form_page
from kitlog.extensions import db
from kitlog.security import require
from kitlog.services import queries
from kitlog.services import reference as reference_service
from kitlog.services.errors import DomainError


@bp.route("/donors")
@require("reference.read")
def donors():
    """Every donor."""
    return render_template("reference/donors.html", donors=queries.donors_by_code(db.session))


@bp.route("/donors/new", methods=["GET", "POST"])
@require("reference.write")
def new_donor():
    """Add a donor; its code must be new."""
    form = DonorForm()
    if form.validate_on_submit():
        try:
            donor = reference_service.create_donor(
                db.session, code=form.code.data, name=form.name.data, country=form.country.data
            )
        except DomainError as error:
            db.session.rollback()
            form.show_error(error)
        else:
            db.session.commit()
            flash(_("Donor %(code)s is added.", code=donor.code), "success")
            return redirect(url_for(".donors"))
    return form_page("reference/donor_form.html", form, active_nav="reference.donors")


@bp.route("/kit-types")
@require("reference.read")
def kit_types():
    """Every kit type with what one kit contains."""
    return render_template(
        "reference/kit_types.html", kit_types=queries.kit_types_by_code(db.session)
    )


@bp.route("/kit-types/new", methods=["GET", "POST"])
@require("reference.write")
def new_kit_type():
    """Add a kit type with its contents; empty content rows are ignored."""
    form = KitTypeForm()
    if form.validate_on_submit():
        try:
            kit_type = reference_service.create_kit_type(
                db.session,
                code=form.code.data,
                name=form.name.data,
                weight_kg=form.weight_kg.data,
                volume_m3=form.volume_m3.data,
                contents=form.content_lines(),
            )
        except DomainError as error:
            db.session.rollback()
            form.show_error(error)
        else:
            db.session.commit()
            flash(_("Kit type %(code)s is added.", code=kit_type.code), "success")
            return redirect(url_for(".kit_types"))
    return form_page("reference/kit_type_form.html", form, active_nav="reference.kit_types")


@bp.route("/warehouses")
@require("reference.read")
def warehouses():
    """Every warehouse and where it is."""
    return render_template(
        "reference/warehouses.html", warehouses=queries.warehouses_by_code(db.session)
    )


@bp.route("/warehouses/new", methods=["GET", "POST"])
@require("reference.write")
def new_warehouse():
    """Add a warehouse; its code must be new."""
    form = WarehouseForm()
    if form.validate_on_submit():
        try:
            warehouse = reference_service.create_warehouse(
                db.session,
                code=form.code.data,
                name=form.name.data,
                province=form.province.data,
                regency=form.regency.data,
                address=form.address.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            form.show_error(error)
        else:
            db.session.commit()
            flash(_("Warehouse %(code)s is added.", code=warehouse.code), "success")
            return redirect(url_for(".warehouses"))
    return form_page("reference/warehouse_form.html", form, active_nav="reference.warehouses")
