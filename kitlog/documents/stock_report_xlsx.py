"""The stock report (IFRC style) as an XLSX workbook: one sheet with a title block
(warehouse, period, when it was made), the table per batch with the donor totals and the
grand total, and the losses of the period by reason. Data in, bytes out.

Figures are written as numbers and dates as dates. Text that a spreadsheet could read as
a formula (it starts with =, +, -, @, a tab or a carriage return) is written as a string
cell and prefixed with an apostrophe, so it stays text also when the sheet is saved as
CSV and opened again.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import xlsxwriter
from xlsxwriter.format import Format

from kitlog.documents.texts import Gettext, untranslated

if TYPE_CHECKING:  # the documents import no Flask, and kitlog.services brings Flask-Babel
    from kitlog.services.stock_report import StockReport, StockReportRow

# What a row's column holds: text, a date (the expiry, maybe none) or a number of kits.
CellValue = str | date | int | None

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHEET_NAME = "Stock report"


def neutralise(text: str) -> str:
    """Text a spreadsheet shows as text: a formula-like start gets an apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


# The table's columns: (header, attribute of a StockReportRow, kind).
def _columns(_: Gettext) -> list[tuple[str, str, str]]:
    return [
        (_("Donor"), "donor_code", "text"),
        (_("Donor name"), "donor_name", "text"),
        (_("Lot"), "lot", "text"),
        (_("Kit type"), "kit_type_code", "text"),
        (_("Expiry date"), "expiry_date", "date"),
        (_("Opening balance"), "opening", "int"),
        (_("Receipts"), "receipts", "int"),
        (_("Transfers in"), "transfers_in", "int"),
        (_("Returns"), "returns", "int"),
        (_("Total in"), "kits_in", "int"),
        (_("Dispatches"), "dispatches", "int"),
        (_("Transfers out"), "transfers_out", "int"),
        (_("Total out"), "kits_out", "int"),
        (_("Losses"), "losses", "int"),
        (_("Adjustments"), "adjustments", "int"),
        (_("Closing balance"), "closing", "int"),
    ]


def render_stock_report_xlsx(
    report: StockReport,
    *,
    gettext: Gettext = untranslated,
    reason: Callable[[str], str] = untranslated,
) -> bytes:
    """The report as an .xlsx file; `gettext` translates the headers, `reason` the
    reasons the system wrote (a person's own words are kept as written)."""
    _ = gettext
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    header = book.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
    day = book.add_format({"num_format": "yyyy-mm-dd", "align": "left"})
    moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm", "align": "left"})
    number = book.add_format({"num_format": "#,##0"})
    signed = book.add_format({"num_format": "+#,##0;-#,##0;0"})
    total_text = book.add_format({"bold": True, "top": 1})
    total_number = book.add_format({"bold": True, "top": 1, "num_format": "#,##0"})
    total_signed = book.add_format({"bold": True, "top": 1, "num_format": "+#,##0;-#,##0;0"})
    sheet = book.add_worksheet(SHEET_NAME)

    def text(row: int, col: int, value: str, fmt: Format | None = None) -> None:
        sheet.write_string(row, col, neutralise(str(value)), fmt)

    def cell(
        row: int, col: int, value: CellValue, kind: str, *, total: bool = False, name: str = ""
    ) -> None:
        if kind == "int":
            assert isinstance(value, int), name  # a figure of a StockReportRow, in kits
            if name == "adjustments":
                sheet.write_number(row, col, value, total_signed if total else signed)
            else:
                sheet.write_number(row, col, value, total_number if total else number)
        elif kind == "date":
            if isinstance(value, date):
                sheet.write_datetime(row, col, datetime.combine(value, datetime.min.time()), day)
            elif total:
                sheet.write_blank(row, col, None, total_text)
        elif total:
            text(row, col, str(value or ""), total_text)
        else:
            text(row, col, str(value or ""))

    # the title block
    local = report.generated_at.astimezone(ZoneInfo(report.timezone)).replace(tzinfo=None)
    text(0, 0, _("Stock report"), title)
    text(1, 0, _("Warehouse"), bold)
    text(1, 1, f"{report.warehouse_code} · {report.warehouse_name}")
    text(2, 0, _("From"), bold)
    sheet.write_datetime(2, 1, datetime.combine(report.date_from, datetime.min.time()), day)
    text(3, 0, _("To (inclusive)"), bold)
    sheet.write_datetime(3, 1, datetime.combine(report.date_to, datetime.min.time()), day)
    text(4, 0, _("Generated at"), bold)
    sheet.write_datetime(4, 1, local, moment)
    text(4, 2, report.timezone)

    # the table
    columns = _columns(_)
    top = 6
    for col, (heading, _name, _kind) in enumerate(columns):
        text(top, col, heading, header)
    row_at = top + 1
    for row in report.rows:
        for col, (_heading, name, kind) in enumerate(columns):
            cell(row_at, col, getattr(row, name), kind, name=name)
        row_at += 1

    def total_row(
        label: str, totals: StockReportRow, donor: str = "", donor_name: str = ""
    ) -> None:
        nonlocal row_at
        values = {"donor_code": donor, "donor_name": donor_name, "lot": label}
        for col, (_heading, name, kind) in enumerate(columns):
            value: CellValue = values.get(name, "") if kind != "int" else getattr(totals, name)
            cell(row_at, col, value, kind, total=True, name=name)
        row_at += 1

    for donor_total in report.donor_totals:
        total_row(
            _("Total for the donor"),
            donor_total,
            donor=donor_total.donor_code,
            donor_name=donor_total.donor_name,
        )
    if report.total is not None:
        total_row(_("Total"), report.total)

    # the losses of the period by reason
    row_at += 1
    text(row_at, 0, _("Losses by reason"), title)
    row_at += 1
    for col, heading in enumerate((_("Donor"), _("Lot"), _("Reason"), _("Kits lost"))):
        text(row_at, col, heading, header)
    row_at += 1
    if not report.losses:
        text(row_at, 0, _("No losses in this period."))
    for line in report.losses:
        text(row_at, 0, line.donor_code)
        text(row_at, 1, line.lot)
        text(row_at, 2, reason(line.reason))
        sheet.write_number(row_at, 3, line.kits, number)
        row_at += 1

    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, 26)
    sheet.set_column(2, 2, 22)
    sheet.set_column(3, 4, 12)
    sheet.set_column(5, len(columns) - 1, 11)
    sheet.set_row(top, 30)
    sheet.freeze_panes(top + 1, 0)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(top)
    book.close()
    return buffer.getvalue()


__all__ = ["FORMULA_STARTS", "neutralise", "render_stock_report_xlsx"]
