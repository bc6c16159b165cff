"""The dashboard: each role's starting page."""

from dataclasses import asdict
from datetime import UTC, datetime

from flask import current_app, jsonify, render_template
from flask_babel import format_time
from flask_login import current_user

from kitlog import names
from kitlog.blueprints.main import bp
from kitlog.blueprints.web import local_today
from kitlog.extensions import db
from kitlog.models import FAIL_REASONS, Role
from kitlog.security import can, require
from kitlog.services import day, queries

EXPIRY_WINDOW_DAYS = 90

# How often the administrator's dashboard asks for the day's figures again.
DAY_POLL_SECONDS = 30


@bp.route("/dashboard")
@require("dashboard")
def dashboard():
    """The administrator sees the day of the rounds in progress, then the stock; warehouse
    staff stock and expiry; donors their own batches; field officers a welcome."""
    if can("stock.read"):
        today = local_today()
        stock = queries.stock_by_warehouse(db.session)
        expiring = queries.expiring_batches(db.session, today=today, within_days=EXPIRY_WINDOW_DAYS)
        context = {
            "stock": stock,
            "totals": queries.kit_totals(level for _, rows in stock for _, level in rows),
            "expiring": expiring,
            "today": today,
            "window": EXPIRY_WINDOW_DAYS,
        }
        if can("dashboard.day"):
            return render_template(
                "main/dashboard_admin.html",
                day=_day(),
                updated_at=_now_shown(),
                fail_reasons=FAIL_REASONS,
                poll_seconds=DAY_POLL_SECONDS,
                **context,
            )
        return render_template("main/dashboard_stock.html", **context)
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


@bp.route("/dashboard/day.json")
@require("dashboard.day")
def day_json():
    """The day's figures again, for the administrator's dashboard to refresh itself."""
    figures = _day()
    return jsonify(
        today=figures.today.isoformat(),
        updated_at=_now_shown(),
        totals={
            "delivered_today": figures.delivered_today,
            "failed_today": figures.failed_today,
            "in_transit": figures.in_transit,
            "follow_ups": figures.follow_ups,
            "flagged": len(figures.flagged),
            "card_mismatches": figures.card_mismatches,
        },
        rounds=[asdict(r) for r in figures.rounds],
        failures=[
            {
                "reason": reason,
                "name": names.fail_reason_name(reason),
                "count": figures.failures.get(reason, 0),
            }
            for reason in FAIL_REASONS
        ],
        manifests=[
            {
                "id": m.id,
                "number": m.number,
                "warehouse": m.warehouse,
                "parcels": m.parcels,
                "in_transit": m.in_transit,
                "delivered": m.delivered,
                "failed": m.failed,
            }
            for m in figures.manifests
        ],
        flagged=[
            {
                "code": p.code,
                "round": p.round_id,
                "household": p.household,
                "status": p.status,
                "failed_attempts": p.failed_attempts,
            }
            for p in figures.flagged
        ],
    )


def _day() -> day.Day:
    return day.day_figures(
        db.session(), today=local_today(), timezone=current_app.config["TIMEZONE"]
    )


def _now_shown() -> str:
    """The time now as the dashboard shows it: hours and minutes, in the deployment's zone."""
    return format_time(datetime.now(UTC), "HH:mm")
