"""The donor report as files (docs/api.md, Reports: the same as .csv, .xlsx and .pdf).

The same bytes as the report page's downloads (kitlog.blueprints.reports.exports), built
from the aggregated report alone: no personal data of any household.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from kitlog.blueprints.api.common import ApiBlueprint, described
from kitlog.blueprints.api.problems import READ, problems
from kitlog.blueprints.reports.common import build_report, report_donor
from kitlog.blueprints.reports.exports import MIMETYPES, export_response
from kitlog.documents.spreadsheets import TABLES
from kitlog.security import require

blp = ApiBlueprint(
    "api_report_exports",
    __name__,
    description="Donor reports as CSV, XLSX and PDF files: aggregates only",
)

FILE = {"type": "string", "format": "binary"}
# A literal suffix after the code: the code's own pattern has no dot, so ".csv" can
# never be read as part of the code (and /reports/donors/{code} never sees "KOICA.csv").
DONOR = "/reports/donors/<code:code>"
WHO = " An admin reads any donor's; a donor user only their own (403 for any other)."


class CsvArgs(ma.Schema):
    table = fields.String(
        load_default="by_region",
        validate=validate.OneOf(TABLES),
        metadata={
            "description": "Which table: by_region (3W/4W, the default), batches, timeline,"
            " feedback (counts by category) or pdm (monitoring: counts, a rate, a mean)."
        },
    )


@blp.route(f"{DONOR}.csv", methods=["GET"])
@blp.arguments(CsvArgs, location="query")
@blp.response(
    200,
    FILE,
    content_type=MIMETYPES["csv"],
    description="One table as UTF-8 CSV (with a BOM, CRLF line ends): the header row, an HXL"
    " hashtag row under it, then the data." + WHO,
)
@problems(blp, *READ, 404, 422)
@require("reports.read")
def donor_report_csv(args, code):
    """A donor's report as CSV: ?table=by_region (default), batches, timeline, feedback or
    pdm."""
    report = build_report(report_donor(code))
    return export_response(report, "csv", table=args["table"])


def _file_view(suffix: str, description: str, doc: str) -> None:
    """A donor's report as one more kind of file, read with no arguments."""

    @blp.route(f"{DONOR}.{suffix}", methods=["GET"], endpoint=f"donor_report_{suffix}")
    @blp.response(200, FILE, content_type=MIMETYPES[suffix], description=description + WHO)
    @problems(blp, *READ, 404)
    @require("reports.read")
    @described(doc)
    def file_view(code):
        return export_response(build_report(report_donor(code)), suffix)


_file_view(
    "xlsx",
    "A workbook with the sheets by region, batches, timeline, feedback and PDM, each with an"
    " HXL hashtag row under its header; numbers as numbers, dates as dates.",
    "A donor's report as an XLSX workbook.",
)
_file_view(
    "pdf",
    "The A4 report a donor can forward: headline figures, a chart of deliveries"
    " against the target, batches, regions, expiring batches, the reconciliation, and"
    " feedback and monitoring as counts.",
    "A donor's report as a PDF.",
)
