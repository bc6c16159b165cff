"""Donors, kit types and warehouses: lists for staff, create and edit forms for the admin."""

from flask import render_template, request
from flask_babel import gettext as _

from kitlog.blueprints.reference import bp
from kitlog.blueprints.reference.forms import (
    DonorEditForm,
    DonorForm,
    KitTypeEditForm,
    KitTypeForm,
    WarehouseEditForm,
    WarehouseForm,
)
from kitlog.blueprints.web import form_page, saved_redirect
from kitlog.extensions import db
from kitlog.models import Donor, KitType, Warehouse
from kitlog.security import require
from kitlog.services import queries
from kitlog.services import reference as reference_service
from kitlog.services.time_zones import province_zone


def _by_code(model, code: str):
    """The object a URL names by its code: the 404 page when there is none."""
    return reference_service.get_by_code(db.session, model, code, "code")


def _edit_form(form_class, obj):
    """The object's values on a GET; on a POST only what was sent, so that a kit's
    content rows are never mixed with its saved lines."""
    return form_class(obj=None if request.method == "POST" else obj)


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
    done = saved_redirect(
        form,
        lambda: reference_service.create_donor(db.session, code=form.code.data, **form.values()),
        lambda donor: _("Donor %(code)s is added.", code=donor.code),
        ".donors",
    )
    return done or form_page("reference/donor_form.html", form, active_nav="reference.donors")


@bp.route("/donors/<code>/edit", methods=["GET", "POST"])
@require("reference.write")
def edit_donor(code: str):
    """Correct a donor's name or country; its code never changes."""
    donor = _by_code(Donor, code)
    form = _edit_form(DonorEditForm, donor)
    done = saved_redirect(
        form,
        lambda: reference_service.update_donor(db.session, donor, **form.values()),
        lambda saved: _("Donor %(code)s is saved.", code=saved.code),
        ".donors",
    )
    return done or form_page(
        "reference/donor_form.html", form, donor=donor, active_nav="reference.donors"
    )


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
    done = saved_redirect(
        form,
        lambda: reference_service.create_kit_type(db.session, code=form.code.data, **form.values()),
        lambda kit_type: _("Kit type %(code)s is added.", code=kit_type.code),
        ".kit_types",
    )
    return done or form_page("reference/kit_type_form.html", form, active_nav="reference.kit_types")


@bp.route("/kit-types/<code>/edit", methods=["GET", "POST"])
@require("reference.write")
def edit_kit_type(code: str):
    """Correct a kit type's name, weight, volume or contents; its code never changes."""
    kit_type = _by_code(KitType, code)
    form = _edit_form(KitTypeEditForm, kit_type)
    done = saved_redirect(
        form,
        lambda: reference_service.update_kit_type(db.session, kit_type, **form.values()),
        lambda saved: _("Kit type %(code)s is saved.", code=saved.code),
        ".kit_types",
    )
    return done or form_page(
        "reference/kit_type_form.html", form, kit_type=kit_type, active_nav="reference.kit_types"
    )


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
    done = saved_redirect(
        form,
        lambda: reference_service.create_warehouse(
            db.session, code=form.code.data, **form.values()
        ),
        lambda warehouse: _("Warehouse %(code)s is added.", code=warehouse.code),
        ".warehouses",
    )
    return done or form_page(
        "reference/warehouse_form.html", form, active_nav="reference.warehouses"
    )


@bp.route("/warehouses/<code>/edit", methods=["GET", "POST"])
@require("reference.write")
def edit_warehouse(code: str):
    """Correct a warehouse's name or where it is; its code never changes."""
    warehouse = _by_code(Warehouse, code)
    form = _edit_form(WarehouseEditForm, warehouse)
    if request.method == "GET" and warehouse.timezone == province_zone(warehouse.province):
        form.timezone.data = ""  # the province's zone: it follows a corrected province
    done = saved_redirect(
        form,
        lambda: reference_service.update_warehouse(db.session, warehouse, **form.values()),
        lambda saved: _("Warehouse %(code)s is saved.", code=saved.code),
        ".warehouses",
    )
    return done or form_page(
        "reference/warehouse_form.html",
        form,
        warehouse=warehouse,
        active_nav="reference.warehouses",
    )
