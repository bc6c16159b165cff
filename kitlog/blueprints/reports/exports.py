"""The donor report's exports: .csv, .xlsx and .pdf of the same report as the page.

Every export is built from a `DonorReport` alone (kitlog.documents.spreadsheets and
.donor_report), so none of them can reach a household's personal data. The JSON API serves
the same bytes (kitlog.blueprints.api.report_exports) through `export_response`.
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask_babel import force_locale, format_date, format_decimal, format_percent, gettext

from kitlog.blueprints.reports import bp
from kitlog.blueprints.reports.common import build_report, report_donor, shared_link_missing
from kitlog.documents.donor_report import Formats, render_donor_report
from kitlog.documents.spreadsheets import (
    CSV_CONTENT_TYPE,
    TABLES,
    render_csv,
    render_xlsx,
    report_tables,
)
from kitlog.extensions import db
from kitlog.i18n import readers_choice
from kitlog.names import feedback_category_name, in_reader_language, reason_name
from kitlog.security import public, require
from kitlog.services import share_links
from kitlog.services.errors import InvalidValue
from kitlog.services.locking import transaction
from kitlog.services.reports import DonorReport
from kitlog.services.time_zones import format_day, format_local

MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _tables(report: DonorReport) -> dict:
    return report_tables(
        report,
        organisation=current_app.config["ORGANISATION"],
        gettext=gettext,
        reason=reason_name,
        kit_name=in_reader_language,
        category=feedback_category_name,
    )


def csv_table(requested: str | None) -> str:
    """The CSV's table: ?table=by_region (the default), batches, timeline, feedback or
    pdm."""
    table = (requested or "by_region").strip()
    if table not in TABLES:
        raise InvalidValue(
            gettext("Choose one of: %(tables)s.", tables=", ".join(TABLES)), field="table"
        )
    return table


def export_bytes(report: DonorReport, kind: str, *, table: str = "by_region") -> bytes:
    """The report as a CSV table, an XLSX workbook of every table, or a PDF."""
    if kind == "csv":
        return render_csv(_tables(report)[table])
    if kind == "xlsx":
        return render_xlsx(
            list(_tables(report).values()),
            title=gettext("Donor report: %(donor)s", donor=report.donor.name),
            author=current_app.config["ORGANISATION"],
        )
    formats = Formats(
        gettext=gettext,
        date=lambda day: format_day(day, "medium"),
        short_date=lambda day: format_date(day, "d MMM"),
        datetime=lambda moment: format_local(moment, report.timezone, "d MMM yyyy HH:mm"),
        number=format_decimal,
        percent=lambda share: format_percent(share),
        reason=reason_name,
        decimal=lambda value: format_decimal(value, format="#,##0.0"),
        category=feedback_category_name,
    )
    return render_donor_report(
        report, organisation=current_app.config["ORGANISATION"], formats=formats
    )


def export_response(report: DonorReport, kind: str, *, table: str = "by_region") -> Response:
    """The export as a download named after the donor, the day (and the CSV's table)."""
    name = f"donor-report-{report.donor.code}-{report.today.isoformat()}"
    if kind == "csv" and table != "by_region":
        name += f"-{table.replace('_', '-')}"
    content_type = CSV_CONTENT_TYPE if kind == "csv" else MIMETYPES[kind]
    response = Response(export_bytes(report, kind, table=table), content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/reports/donors/<code>.csv")
@require("reports.read")
def donor_report_csv(code: str):
    """The report as CSV with an HXL row: ?table=by_region (default), batches, timeline,
    feedback or pdm."""
    table = csv_table(request.args.get("table"))
    return export_response(build_report(report_donor(code)), "csv", table=table)


@bp.get("/reports/donors/<code>.xlsx")
@require("reports.read")
def donor_report_xlsx(code: str):
    """The report as an XLSX workbook: by region, batches, timeline, feedback and PDM,
    with HXL rows."""
    return export_response(build_report(report_donor(code)), "xlsx")


@bp.get("/reports/donors/<code>.pdf")
@require("reports.read")
def donor_report_pdf(code: str):
    """The report as an A4 PDF a donor can forward."""
    return export_response(build_report(report_donor(code)), "pdf")


# A share link's files: the same exports, for whoever holds an unexpired, unrevoked link.
# The token is a secret in the URL: nothing is cached, indexed or sent on as a referrer.
SHARED_HEADERS = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


def _shared_export(token: str, kind: str, table: str = "by_region"):
    """In the shared page's language: the page's links carry it (?lang=)."""
    with transaction(db.session, write=True):  # the use is counted before the report is built
        link = share_links.open_share_link(db.session, token)
    if link is None:  # unknown, expired or revoked: the same 404, as the shared page
        return shared_link_missing(), 404, SHARED_HEADERS
    with force_locale(readers_choice() or link.language):
        response = export_response(build_report(link.donor), kind, table=table)
    response.headers.update(SHARED_HEADERS)
    return response


@bp.get("/share/<token>.csv")
@public
def shared_report_csv(token: str):
    """A share link's report as CSV (?table= as for the report page's CSV)."""
    return _shared_export(token, "csv", csv_table(request.args.get("table")))


@bp.get("/share/<token>.xlsx")
@public
def shared_report_xlsx(token: str):
    """A share link's report as an XLSX workbook."""
    return _shared_export(token, "xlsx")


@bp.get("/share/<token>.pdf")
@public
def shared_report_pdf(token: str):
    """A share link's report as a PDF."""
    return _shared_export(token, "pdf")
