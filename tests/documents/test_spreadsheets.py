"""The donor report's CSV and XLSX: a header row, the HXL row right under it, the report's
numbers as numbers, and text that a spreadsheet would run as a formula kept as text."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime

import openpyxl
import pytest

from kitlog.documents.spreadsheets import (
    neutralise,
    pcode,
    render_csv,
    render_xlsx,
    report_tables,
)
from kitlog.models import FEEDBACK_CATEGORIES
from kitlog.names import in_reader_language
from tests.documents.reports import sample_report

HXL_TAG = re.compile(r"#[A-Za-z][A-Za-z0-9_]*(\+[A-Za-z][A-Za-z0-9_]*)*\Z")
HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tTAB", "\rCR"]


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "a BOM, so that Excel reads UTF-8"
    text = data.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_the_region_csv_has_the_hxl_row_right_under_the_header_and_the_reports_numbers():
    report = sample_report()
    table = report_tables(report, organisation="IOM Indonesia")["by_region"]
    rows = csv_rows(render_csv(table))

    header, tags, *data = rows
    assert header[:4] == ["Donor", "Donor code", "Implementing organisation", "Sector"]
    assert all(HXL_TAG.match(tag) for tag in tags), tags
    for expected in (
        "#org+funder",
        "#org+impl",
        "#sector",
        "#item+code",
        "#item+name",
        "#country+code",
        "#adm1+name",
        "#adm1+code",
        "#adm2+name",
        "#adm2+code",
        "#date+start",
        "#date+end",
        "#targeted+hh",
        "#reached+hh",
        "#reached+ind",
        "#x_kits+delivered",
    ):
        assert expected in tags
    assert len(set(tags)) == len(tags)
    assert len(data) == len(report.by_region)
    by_tag = [dict(zip(tags, row, strict=True)) for row in data]
    malang = by_tag[1]
    assert malang["#org+funder"] == "Korea International Cooperation Agency"
    assert malang["#org+funder+code"] == "KOICA"
    assert malang["#org+impl"] == "IOM Indonesia"
    assert malang["#sector"] == "WASH"
    assert (malang["#item+code"], malang["#item+name"]) == ("HK-FAM", "Family hygiene kit")
    # OCHA's P-codes: ID and the Kemendagri code without its dots
    assert [malang[t] for t in ("#country+code", "#adm1+name", "#adm1+code")] == [
        "IDN",
        "Jawa Timur",
        "ID35",
    ]
    assert (malang["#adm2+name"], malang["#adm2+code"]) == ("Kabupaten Malang", "ID3507")
    assert (malang["#date+start"], malang["#date+end"]) == ("2025-02-03", "2025-02-10")
    assert [
        malang[t]
        for t in (
            "#x_kits+delivered",
            "#targeted+hh",
            "#reached+hh",
            "#reached+ind",
            "#x_reached+hh+vulnerable",
        )
    ] == ["1500", "1600", "1400", "5320", "310"]
    assert malang["#date+reported"] == "2025-03-14"
    assert sum(int(r["#x_kits+delivered"]) for r in by_tag) == sum(
        b.delivered for b in report.batches
    )


def test_the_batch_and_timeline_tables_carry_every_term_of_the_equation():
    report = sample_report()
    tables = report_tables(report, organisation="IOM")
    header, tags, first, second = csv_rows(render_csv(tables["batches"]))
    row = dict(zip(tags, first, strict=True))
    assert header[2:4] == ["Lot", "Agreement or grant reference"]  # the lot names the batch
    assert (row["#x_batch+lot"], row["#x_batch+ref"]) == ("L-001", "KOICA-2025-01")
    assert [
        row[f"#x_kits+{t}"]
        for t in (
            "pledged",
            "received",
            "lost",
            "adjusted",
            "onhand",
            "reserved",
            "transit",
            "delivered",
        )
    ] == ["3000", "3000", "12", "-3", "1285", "400", "200", "1500"]
    assert row["#x_kits+lost+reason"] == "water damage: 10; torn in transit: 2"
    assert row["#x_reconciled"] == "yes"
    assert row["#date+expiry"] == "2027-01-31"

    header, tags, *days = csv_rows(render_csv(tables["timeline"]))
    assert tags == [
        "#org+funder",
        "#org+funder+code",
        "#date",
        "#x_kits+delivered",
        "#x_kits+delivered+cumulative",
        "#x_kits+targeted",
    ]
    assert [day[2:] for day in days] == [
        ["2025-02-03", "600", "600", "5000"],
        ["2025-02-10", "700", "1300", "5000"],
        ["2025-03-03", "600", "1900", "5000"],
    ]
    assert {day[1] for day in days} == {"KOICA"}


def test_a_place_code_is_written_as_ochas_p_code():
    assert pcode("35") == "ID35"
    assert pcode("35.07") == "ID3507"
    assert pcode("35.07.01.2001") == "ID3507012001"
    assert pcode("3507") == "ID3507"
    assert pcode("") == ""  # a regency whose code is not known: an empty cell
    assert pcode("Jawa") == ""


def test_a_region_whose_regency_code_is_unknown_has_an_empty_adm2_code():
    report = sample_report()
    report.by_region[0].regency_code = ""
    table = report_tables(report, organisation="IOM")["by_region"]
    _header, tags, cilacap, malang = csv_rows(render_csv(table))
    assert dict(zip(tags, cilacap, strict=True))["#adm2+code"] == ""
    assert dict(zip(tags, cilacap, strict=True))["#adm1+code"] == "ID33"
    assert dict(zip(tags, malang, strict=True))["#adm2+code"] == "ID3507"


def test_kit_names_follow_the_readers_language():
    report = sample_report()
    indonesian = report_tables(
        report, organisation="IOM", kit_name=lambda en, id_: in_reader_language(en, id_, "id")
    )
    assert indonesian["batches"].rows[0][5] == "Paket kebersihan keluarga"
    assert indonesian["by_region"].rows[0][5] == "Paket kebersihan keluarga"
    english = report_tables(report, organisation="IOM")
    assert english["batches"].rows[0][5] == "Family hygiene kit"


def test_headers_are_in_the_readers_language_and_hashtags_never_are():
    upper = report_tables(sample_report(), organisation="IOM", gettext=str.upper)["by_region"]
    assert upper.headers[0] == "DONOR"
    assert upper.hashtags[0] == "#org+funder"
    assert upper.title == "BY REGION"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_csv_text_that_looks_like_a_formula_gets_an_apostrophe(hostile):
    report = sample_report(
        donor_name=hostile, province=hostile, regency=hostile, kit_type=hostile, reference=hostile
    )
    tables = report_tables(report, organisation=hostile)
    for table in tables.values():
        for row in csv_rows(render_csv(table))[2:]:
            for cell in row:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
                # a number may be negative (an adjustment), text may not start with "-"
                assert not cell.startswith("-") or re.fullmatch(r"-[0-9]+", cell), cell
    header, tags, _first, region = csv_rows(render_csv(tables["by_region"]))
    assert region[0] == "'" + hostile
    assert region[tags.index("#adm1+name")] == "'" + hostile  # the province


def test_neutralise_leaves_ordinary_text_alone():
    assert neutralise("Jawa Timur") == "Jawa Timur"
    assert neutralise("Kota Batu (-)") == "Kota Batu (-)"
    assert neutralise("-2") == "'-2"


def read_workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_the_workbook_has_a_sheet_a_table_with_numbers_as_numbers_and_dates_as_dates():
    report = sample_report()
    tables = report_tables(report, organisation="IOM")
    book = read_workbook(render_xlsx(list(tables.values()), title="KOICA"))

    assert book.sheetnames == ["By region", "Batches", "Timeline", "Feedback", "Monitoring (PDM)"]
    regions = list(book["By region"].iter_rows(values_only=True))
    assert list(regions[0]) == tables["by_region"].headers
    assert list(regions[1]) == tables["by_region"].hashtags
    tags = regions[1]
    malang = dict(zip(tags, regions[3], strict=True))
    assert malang["#reached+hh"] == 1400 and isinstance(malang["#reached+hh"], int)
    assert malang["#x_kits+delivered"] == 1500
    assert malang["#targeted+hh"] == 1600
    assert malang["#date+reported"] == datetime(2025, 3, 14)  # a date cell, not text
    assert malang["#date+start"] == datetime(2025, 2, 3)
    reported = tags.index("#date+reported") + 1
    assert book["By region"].cell(row=3, column=reported).is_date

    batches = list(book["Batches"].iter_rows(values_only=True))
    tags = batches[1]
    rows = [dict(zip(tags, row, strict=True)) for row in batches[2:]]
    for figures, row in zip(report.batches, rows, strict=True):
        assert row["#x_kits+received"] + row["#x_kits+adjusted"] == (
            row["#x_kits+lost"]
            + row["#x_kits+onhand"]
            + row["#x_kits+transit"]
            + row["#x_kits+delivered"]
        )
        assert row["#x_kits+onhand"] == figures.on_hand
        assert row["#x_kits+adjusted"] == figures.adjusted
        assert row["#date+received"] == datetime(2025, 1, 6)
    assert rows[1]["#x_kits+lost+reason"] is None  # no loss: an empty cell

    timeline = list(book["Timeline"].iter_rows(values_only=True))
    assert timeline[1][2:] == (
        "#date",
        "#x_kits+delivered",
        "#x_kits+delivered+cumulative",
        "#x_kits+targeted",
    )
    assert timeline[-1][2:] == (datetime(2025, 3, 3), 600, 1900, 5000)


@pytest.mark.parametrize("hostile", HOSTILE[:4])
def test_the_workbook_holds_formula_like_text_as_text_and_no_formula(hostile):
    report = sample_report(
        donor_name=hostile, province=hostile, regency=hostile, kit_type=hostile, reference=hostile
    )
    data = render_xlsx(list(report_tables(report, organisation=hostile).values()))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            assert "<f>" not in archive.read(name).decode("utf-8"), name
    book = read_workbook(data)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    region = book["By region"]
    assert region["A3"].value == hostile and region["A3"].data_type == "s"
    province = list(next(region.iter_rows(min_row=2, max_row=2, values_only=True)))
    assert region.cell(row=4, column=province.index("#adm1+name") + 1).value == hostile


def test_an_empty_report_still_has_its_header_and_hxl_rows():
    report = sample_report()
    report.by_region, report.timeline, report.batches = [], [], []
    tables = report_tables(report, organisation="IOM")
    assert len(csv_rows(render_csv(tables["by_region"]))) == 2
    book = read_workbook(render_xlsx(list(tables.values())))
    # the feedback table has a row for each category, at zero; the monitoring's one row
    categories = len(FEEDBACK_CATEGORIES)
    assert [sheet.max_row for sheet in book.worksheets] == [2, 2, 2, 2 + categories, 3]
