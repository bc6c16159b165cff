"""The dashboard: each role's starting page."""

from flask import render_template
from flask_login import current_user

from kitlog.blueprints.main import bp
from kitlog.blueprints.web import local_today
from kitlog.extensions import db
from kitlog.models import Role
from kitlog.security import can, require
from kitlog.services import queries

EXPIRY_WINDOW_DAYS = 90


@bp.route("/dashboard")
@require("dashboard")
def dashboard():
    """Staff see stock and expiry; donors their own batches; field officers a welcome."""
    if can("stock.read"):
        today = local_today()
        stock = queries.stock_by_warehouse(db.session)
        expiring = queries.expiring_batches(db.session, today=today, within_days=EXPIRY_WINDOW_DAYS)
        return render_template(
            "main/dashboard_stock.html",
            stock=stock,
            totals=queries.kit_totals(level for _, rows in stock for _, level in rows),
            expiring=expiring,
            today=today,
            window=EXPIRY_WINDOW_DAYS,
        )
    if current_user.role == Role.DONOR:
        # A donor user always has a donor (a database rule); never fall back to all batches.
        rows = []
        if current_user.donor_id is not None:
            rows = queries.batches_with_summaries(db.session, current_user)
        return render_template(
            "main/dashboard_donor.html",
            rows=rows,
            totals=queries.kit_totals(summary for _, summary in rows),
        )
    kit_types = queries.kit_types_by_code(db.session) if can("reference.read") else []
    registered = (
        queries.households_registered_by(db.session, current_user)
        if can("households.write")
        else None
    )
    return render_template("main/dashboard_field.html", kit_types=kit_types, registered=registered)
