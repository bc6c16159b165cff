"""A donor report as spreadsheets: CSV and XLSX tables with an HXL hashtag row under the
header row (HXL 1.1: hxlstandard.org/standard/1-1final/dictionary). Data in, bytes out.

Places carry OCHA's P-codes (`pcode`): the Kemendagri code without its dots after the
country's `ID`, so that a donor's map joins on them; the country is `IDN`.

Every table is built from a `DonorReport` alone, which holds aggregates and no personal data
of any household (rule 6 of docs/design.md), so no export can carry a name, a NIK or a phone;
nor a word of any feedback or PDM comment: those reach the donor as counts.

Text that a spreadsheet would read as a formula (it starts with =, +, -, @, a tab or a
carriage return: OWASP "CSV injection") is neutralised: in CSV it is prefixed with an
apostrophe; in XLSX it is written as a string cell, which Excel and LibreOffice never
evaluate. Numbers are numbers and dates are dates; only text is ever neutralised.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import xlsxwriter

from kitlog.documents.texts import Gettext, untranslated

if TYPE_CHECKING:  # the documents import no Flask, and kitlog.models brings Flask-SQLAlchemy
    from kitlog.services.reports import DonorReport

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SECTOR = "WASH"
TABLES = ("by_region", "batches", "timeline", "feedback", "pdm")
COUNTRY_CODE = "IDN"  # #country+code: ISO 3166-1 alpha-3, as OCHA's P-codes
PCODE_PREFIX = "ID"  # OCHA's P-codes for Indonesia: ID + the Kemendagri code's digits
# Every CSV kitlog serves, exactly this: HXL tools (libhxl, the HXL Proxy) take a CSV from a
# URL only when its content type is a CSV type with at most a charset after it.
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Column:
    header: str  # for people, in the reader's language
    hashtag: str  # for machines (HXL), never translated
    kind: str = "text"  # text | int | decimal | date


@dataclass(frozen=True)
class Table:
    key: str  # one of TABLES
    title: str  # the sheet's name, in the reader's language
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    @property
    def hashtags(self) -> list[str]:
        return [column.hashtag for column in self.columns]


def pcode(code: str) -> str:
    """A Kemendagri code in OCHA's P-code form: "35.07" -> "ID3507", "35" -> "ID35";
    "" (a place whose code is not known) stays ""."""
    digits = code.replace(".", "").strip()
    if not (digits.isascii() and digits.isdigit()):
        return ""
    return PCODE_PREFIX + digits


def neutralise(text: str) -> str:
    """Text a spreadsheet will show as text: a formula-like start gets an apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def in_english(english: str, indonesian: str) -> str:
    """A kit type's name for a reader of English (the default `kit_name`)."""
    return english


def report_tables(
    report: DonorReport,
    *,
    organisation: str,
    gettext: Gettext = untranslated,
    reason: Callable[[str], str] = untranslated,
    kit_name: Callable[[str, str], str] = in_english,
    category: Callable[[str], str] = untranslated,
) -> dict[str, Table]:
    """The report's tables (by region, batches, timeline, feedback, PDM), keyed as in
    TABLES; `reason` labels a loss reason the system wrote (a person's own words stay as
    written), `kit_name` picks a kit type's name from its English and Indonesian names,
    `category` names a feedback category."""
    _ = gettext
    donor = report.donor
    # #item+code and #item+name: the kit types of the donor's batches
    kit_codes = ", ".join(sorted({b.kit_type for b in report.batches}))
    kit_names = ", ".join(
        sorted({kit_name(b.kit_name, b.kit_name_id) for b in report.batches} - {""})
    )
    by_region = Table(
        "by_region",
        _("By region"),
        (
            Column(_("Donor"), "#org+funder"),
            Column(_("Donor code"), "#org+funder+code"),
            Column(_("Implementing organisation"), "#org+impl"),
            Column(_("Sector"), "#sector"),
            Column(_("Kit type"), "#item+code"),
            Column(_("Kit name"), "#item+name"),
            Column(_("Country"), "#country+code"),
            Column(_("Province"), "#adm1+name"),
            Column(_("Province code"), "#adm1+code"),
            Column(_("Regency"), "#adm2+name"),
            Column(_("Regency code"), "#adm2+code"),
            Column(_("First delivery"), "#date+start", "date"),
            Column(_("Last delivery"), "#date+end", "date"),
            Column(_("Kits delivered"), "#x_kits+delivered", "int"),
            Column(_("Households targeted"), "#targeted+hh", "int"),
            Column(_("Households reached"), "#reached+hh", "int"),
            Column(_("People reached"), "#reached+ind", "int"),
            Column(_("Vulnerable households reached"), "#x_reached+hh+vulnerable", "int"),
            # parcels, not households: a household reached twice may have sent a collector once
            Column(_("Delivered to a collector"), "#x_parcels+delivered+collector", "int"),
            Column(_("Report date"), "#date+reported", "date"),
        ),
        tuple(
            (
                donor.name,
                donor.code,
                organisation,
                SECTOR,
                kit_codes,
                kit_names,
                COUNTRY_CODE,
                region.province,
                pcode(region.province_code),
                region.regency,
                pcode(region.regency_code),
                region.first_delivery,
                region.last_delivery,
                region.delivered,
                region.households_targeted,
                region.households_reached,
                region.people_reached,
                region.vulnerable_households_reached,
                region.delivered_to_collector,
                report.today,
            )
            for region in report.by_region
        ),
    )
    batches = Table(
        "batches",
        _("Batches"),
        (
            Column(_("Donor"), "#org+funder"),
            Column(_("Donor code"), "#org+funder+code"),
            # A batch is named by its lot, as on the page and in the PDF; the agreement,
            # which several batches may share, beside it.
            Column(_("Lot"), "#x_batch+lot"),
            Column(_("Agreement or grant reference"), "#x_batch+ref"),
            Column(_("Kit type"), "#item+code"),
            Column(_("Kit name"), "#item+name"),
            Column(_("Warehouse"), "#loc+warehouse+code"),
            Column(_("Received on"), "#date+received", "date"),
            Column(_("Expires on"), "#date+expiry", "date"),
            Column(_("Pledged"), "#x_kits+pledged", "int"),
            Column(_("Received"), "#x_kits+received", "int"),
            Column(_("Lost"), "#x_kits+lost", "int"),
            Column(_("Losses by reason"), "#x_kits+lost+reason"),
            Column(_("Adjusted"), "#x_kits+adjusted", "int"),
            Column(_("On hand"), "#x_kits+onhand", "int"),
            Column(_("Reserved (part of on hand)"), "#x_kits+reserved", "int"),
            Column(_("In transit"), "#x_kits+transit", "int"),
            Column(_("Delivered"), "#x_kits+delivered", "int"),
            Column(_("Households reached"), "#reached+hh", "int"),
            Column(_("People reached"), "#reached+ind", "int"),
            Column(_("Reconciled"), "#x_reconciled"),
            Column(_("Report date"), "#date+reported", "date"),
        ),
        tuple(
            (
                donor.name,
                donor.code,
                batch.lot,
                batch.reference,
                batch.kit_type,
                kit_name(batch.kit_name, batch.kit_name_id),
                batch.warehouse,
                batch.received_date,
                batch.expiry_date,
                batch.pledged,
                batch.received,
                batch.lost,
                "; ".join(f"{reason(why)}: {kits}" for why, kits in batch.lost_by_reason.items()),
                batch.adjusted,
                batch.on_hand,
                batch.reserved,
                batch.in_transit,
                batch.delivered,
                batch.households_reached,
                batch.people_reached,
                _("yes") if batch.reconciled else _("no"),
                report.today,
            )
            for batch in report.batches
        ),
    )
    timeline = Table(
        "timeline",
        _("Timeline"),
        (
            Column(_("Donor"), "#org+funder"),
            Column(_("Donor code"), "#org+funder+code"),
            Column(_("Date"), "#date", "date"),
            Column(_("Kits delivered"), "#x_kits+delivered", "int"),
            Column(_("Kits delivered, cumulative"), "#x_kits+delivered+cumulative", "int"),
            Column(_("Target (kits pledged)"), "#x_kits+targeted", "int"),
        ),
        tuple(
            (donor.name, donor.code, day.date, day.delivered, day.cumulative, report.target)
            for day in report.timeline
        ),
    )
    # Feedback and PDM: counts, a rate and a mean; no feedback's text, no comment.
    feedback = Table(
        "feedback",
        _("Feedback"),
        (
            Column(_("Donor"), "#org+funder"),
            Column(_("Donor code"), "#org+funder+code"),
            Column(_("Category"), "#x_feedback+category"),
            Column(_("Category name"), "#x_feedback+name"),
            Column(_("Feedback received"), "#x_feedback+received", "int"),
            Column(_("Resolved"), "#x_feedback+resolved", "int"),
            Column(_("Median days to resolve"), "#x_feedback+resolved+days+median", "decimal"),
            Column(_("Report date"), "#date+reported", "date"),
        ),
        tuple(
            (
                donor.name,
                donor.code,
                figures.category,
                category(figures.category),
                figures.received,
                figures.resolved,
                figures.median_days_to_resolve,
                report.today,
            )
            for figures in report.feedback.by_category
        ),
    )
    pdm = report.pdm
    complete = pdm.complete_rate
    monitoring = Table(
        "pdm",
        _("Monitoring (PDM)"),
        (
            Column(_("Donor"), "#org+funder"),
            Column(_("Donor code"), "#org+funder+code"),
            Column(_("PDM responses"), "#x_pdm+responses", "int"),
            Column(_("Received complete (%)"), "#x_pdm+complete+pct", "decimal"),
            Column(_("Mean satisfaction (1 to 5)"), "#x_pdm+satisfaction+mean", "decimal"),
            Column(_("Report date"), "#date+reported", "date"),
        ),
        (
            (
                donor.name,
                donor.code,
                pdm.responses,
                round(complete * 100, 1) if complete is not None else None,
                pdm.satisfaction_mean,
                report.today,
            ),
        ),
    )
    return {table.key: table for table in (by_region, batches, timeline, feedback, monitoring)}


def _csv_cell(value: Any) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("a spreadsheet cell holds no bare bool")  # write yes/no, translated
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return neutralise(str(value))


def render_csv(table: Table) -> bytes:
    """One table as CSV: UTF-8 with a BOM (so Excel reads the accents), CRLF line ends,
    the header row, the HXL row under it, then the data."""
    return b"".join(csv_chunks(table, table.rows))


def csv_chunks(
    table: Table, rows: Iterable[tuple[Any, ...]], *, rows_per_chunk: int = 1000
) -> Iterator[bytes]:
    """`render_csv` of the table's columns with these rows, as it is written: the BOM,
    header and HXL rows first, then the rows a chunk at a time (a long export streams
    and is never held whole)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([neutralise(header) for header in table.headers])
    writer.writerow(table.hashtags)
    waiting = 0
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
        waiting += 1
        if waiting == rows_per_chunk:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            waiting = 0
    yield buffer.getvalue().encode("utf-8")


def _sheet_name(title: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique, no leading '."""
    name = "".join("_" if ch in "[]:*?/\\" else ch for ch in title).strip("'")[:31] or "Sheet"
    base, n = name, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def render_xlsx(tables: Sequence[Table], *, title: str = "", author: str = "") -> bytes:
    """The tables as one workbook, a sheet each: the header row (bold, frozen), the HXL
    row under it, then the data; whole numbers as numbers, dates as dates, text as text."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    workbook.set_properties({"title": title, "author": author, "comments": "kitlog"})
    bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    hxl = workbook.add_format({"italic": True, "font_color": "#555555"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    whole = workbook.add_format({"num_format": "#,##0"})
    decimal = workbook.add_format({"num_format": "0.0"})
    taken: set[str] = set()
    for table in tables:
        sheet = workbook.add_worksheet(_sheet_name(table.title, taken))
        for col, column in enumerate(table.columns):
            sheet.write_string(0, col, column.header, bold)
            sheet.write_string(1, col, column.hashtag, hxl)
            width = max(len(column.header) * 0.9, len(column.hashtag), 10)
            sheet.set_column(col, col, min(width, 40))
        for r, row in enumerate(table.rows, start=2):
            for col, (column, value) in enumerate(zip(table.columns, row, strict=True)):
                if value is None or value == "":
                    sheet.write_blank(r, col, None)
                elif column.kind == "int":
                    sheet.write_number(r, col, value, whole)
                elif column.kind == "decimal":
                    sheet.write_number(r, col, value, decimal)
                elif column.kind == "date":
                    sheet.write_datetime(r, col, _as_datetime(value), day)
                else:
                    sheet.write_string(r, col, str(value))
        sheet.freeze_panes(2, 0)
        if table.rows:
            sheet.autofilter(1, 0, 1 + len(table.rows), len(table.columns) - 1)
    workbook.close()
    return buffer.getvalue()


def _as_datetime(value: date) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime(value.year, value.month, value.day)
