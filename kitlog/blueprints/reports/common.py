"""What the report's page, its JSON, its exports and its share links have in common:
which donor a URL names (and whether the user may read it), the report itself, and the
page a share link that opens nothing answers."""

from __future__ import annotations

from flask import abort, current_app, render_template, url_for
from flask_babel import force_locale
from flask_login import current_user
from sqlalchemy import select

from kitlog.blueprints.web import local_today
from kitlog.documents.spreadsheets import TABLES
from kitlog.extensions import db
from kitlog.i18n import current_language, readers_choice
from kitlog.models import Donor, Role
from kitlog.names import REPORT_TABLE_NAMES
from kitlog.services.reports import DonorReport, donor_report


def report_donor(code: str) -> Donor:
    """The donor a URL names: a donor user may name only their own (403 for any other,
    known or not, so codes cannot be probed); anyone else 404 for an unknown code."""
    code = (code or "").strip().upper()
    if current_user.role == Role.DONOR:
        own = current_user.donor
        if own is None or own.code != code:
            abort(403)
        return own
    donor = db.session.scalar(select(Donor).where(Donor.code == code))
    if donor is None:
        abort(404)
    return donor


def build_report(donor: Donor) -> DonorReport:
    """The donor's report as of now, its days in the deployment's time zone."""
    return donor_report(
        db.session, donor, today=local_today(), timezone=current_app.config["TIMEZONE"]
    )


def report_data(report: DonorReport) -> dict:
    """The report as the API gives it (docs/api.md, Reports), plus extras; aggregates only."""
    return {
        "donor": report.donor.code,
        "donor_name": report.donor.name,
        "generated_at": report.generated_at,
        "today": report.today,
        "timezone": report.timezone,
        "batches": [
            {
                "id": b.id,
                "reference": b.reference,
                "lot": b.lot,
                "kit_type": b.kit_type,
                "warehouse": b.warehouse,
                "received_date": b.received_date,
                "expiry_date": b.expiry_date,
                "pledged": b.pledged,
                "received": b.received,
                "lost": b.lost,
                "lost_by_reason": [
                    {"reason": reason, "kits": kits} for reason, kits in b.lost_by_reason.items()
                ],
                "adjusted": b.adjusted,
                "on_hand": b.on_hand,
                "reserved": b.reserved,
                "in_transit": b.in_transit,
                "delivered": b.delivered,
                "households_reached": b.households_reached,
                "people_reached": b.people_reached,
                "reconciled": b.reconciled,
            }
            for b in report.batches
        ],
        "by_region": [
            {
                "province": r.province,
                "province_code": r.province_code,
                "regency": r.regency,
                "regency_code": r.regency_code,
                "delivered": r.delivered,
                "households_targeted": r.households_targeted,
                "households_reached": r.households_reached,
                "delivered_to_collector": r.delivered_to_collector,
                "people_reached": r.people_reached,
                "vulnerable_households_reached": r.vulnerable_households_reached,
                "first_delivery": r.first_delivery,
                "last_delivery": r.last_delivery,
            }
            for r in report.by_region
        ],
        "timeline": [
            {"date": d.date, "delivered": d.delivered, "cumulative": d.cumulative}
            for d in report.timeline
        ],
        "target": report.target,
        "households_targeted": report.households_targeted,
        "households_reached": report.households_reached,
        "people_reached": report.people_reached,
        "vulnerable_households_reached": report.vulnerable_households_reached,
        "parcels_delivered": report.parcels_delivered,
        "parcels_delivered_to_collector": report.parcels_delivered_to_collector,
        "parcels_failed": report.parcels_failed,
        "parcels_failed_once": report.parcels_failed_once,
        "success_rate": report.success_rate,
        "expiring": [
            {"id": b.id, "lot": b.lot, "expiry_date": b.expiry_date, "on_hand": b.on_hand}
            for b in report.expiring
        ],
        "reconciled": report.reconciled,
        # counts, rates and means only: no feedback's or comment's words
        "feedback": {
            "by_category": [
                {
                    "category": c.category,
                    "count": c.received,
                    "resolved": c.resolved,
                    "median_days_to_resolve": c.median_days_to_resolve,
                }
                for c in report.feedback.by_category
            ],
            "received": report.feedback.received,
            "resolved": report.feedback.resolved,
            "median_days_to_resolve": report.feedback.median_days_to_resolve,
        },
        "pdm": {
            "responses": report.pdm.responses,
            "complete_rate": report.pdm.complete_rate,
            "satisfaction_mean": report.pdm.satisfaction_mean,
        },
    }


def export_endpoints(view: str = "donor_report") -> dict[str, str]:
    """The export formats whose views exist (the exports land separately), by format:
    `reports.<view>_csv`, `_xlsx`, `_pdf` (view "shared_report" for a share link's)."""
    names = {fmt: f"reports.{view}_{fmt}" for fmt in ("csv", "xlsx", "pdf")}
    return {fmt: name for fmt, name in names.items() if name in current_app.view_functions}


def shared_link_missing() -> str:
    """The one page for an unknown, expired or revoked share link (no hint which), in the
    language the reader chose, if any: there is no link to take one from."""
    with force_locale(readers_choice() or current_language()):
        return render_template("reports/shared_missing.html")


def download_links(view: str = "donor_report", **url_args: str) -> dict[str, list]:
    """The report's downloads as (label, URL): `export_links` the workbook and the PDF,
    `csv_links` one HXL-tagged CSV per table. The by-region table is the CSV's default and
    keeps the address without `?table=`."""
    endpoints = export_endpoints(view)
    files = [
        (fmt.upper(), url_for(endpoint, **url_args))
        for fmt, endpoint in endpoints.items()
        if fmt != "csv"
    ]
    csv_links = []
    if "csv" in endpoints:
        for table in TABLES:
            extra = {} if table == "by_region" else {"table": table}
            csv_links.append(
                (str(REPORT_TABLE_NAMES[table]), url_for(endpoints["csv"], **url_args, **extra))
            )
    return {"export_links": files, "csv_links": csv_links}
