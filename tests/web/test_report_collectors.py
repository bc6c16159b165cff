"""The donor report counts the deliveries a collector took for the household (a person
the household named to collect for it): in its figures, on its page, in the API's answer,
the PDF, the workbook and the HXL CSV. A count only: never who."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from kitlog.extensions import db
from kitlog.models import ParcelStatus
from tests.documents.pdf import page_texts
from tests.web.conftest import text_of
from tests.worlds import ReportWorld, report


@pytest.fixture
def world(make):
    """ReportWorld's trips; household 0's and household 2's KOICA parcels (Malang and
    Surabaya) and household 0's DFAT parcel were taken by collectors. A failed parcel
    marked so is not a delivery and is not counted."""
    world = ReportWorld(make)
    world.play()
    p, q = world.p, world.q
    assert {p[0].status, p[2].status, q[0].status} == {ParcelStatus.DELIVERED}
    assert p[4].status == ParcelStatus.FAILED
    for parcel in (p[0], p[2], q[0], p[4]):
        parcel.recipient_kind = "collector"
    p[1].recipient_kind = "head"
    db.session.commit()
    return world


def _by_regency(rows) -> dict[str, int]:
    return {regency: count for regency, count in rows}


def test_the_report_counts_the_donors_deliveries_to_collectors(world):
    koica = report(world.koica)
    assert koica.parcels_delivered == 3
    assert koica.parcels_delivered_to_collector == 2
    assert _by_regency((r.regency, r.delivered_to_collector) for r in koica.by_region) == {
        "Kabupaten Cilacap": 0,
        "Kabupaten Malang": 1,
        "Kota Surabaya": 1,
    }
    assert koica.region_totals.delivered_to_collector == 2
    assert report(world.dfat).parcels_delivered_to_collector == 1  # its own parcel only


def test_no_delivery_to_a_collector_counts_zero(make):
    world = ReportWorld(make)
    world.play()
    assert report(world.koica).parcels_delivered_to_collector == 0


def test_the_api_answers_the_count(api, world, make):
    body = api("admin").get("/api/v1/reports/donors/KOICA").get_json()
    assert body["parcels_delivered_to_collector"] == 2
    assert _by_regency((r["regency"], r["delivered_to_collector"]) for r in body["by_region"]) == {
        "Kabupaten Cilacap": 0,
        "Kabupaten Malang": 1,
        "Kota Surabaya": 1,
    }


def test_the_page_shows_the_count(browser, login, world):
    login("admin")
    page = text_of(browser.get("/reports/donors/KOICA"))
    assert "Delivered to a collector 2 of 3 parcels delivered" in page


def test_the_page_shows_the_count_in_indonesian(browser, login, world):
    login("admin", language="id")
    page = text_of(browser.get("/reports/donors/KOICA"))
    assert "Diserahkan kepada wakil penerima 2 dari 3 paket yang diserahkan" in page


def test_the_pdf_shows_the_count_in_the_region_table(client, login, world):
    login("admin")
    text = " ".join(" ".join(page_texts(client.get("/reports/donors/KOICA.pdf").data)).split())
    assert "Delivered to a collector" in text
    assert "a person named by the household collected for it" in text


def test_the_csv_and_the_workbook_carry_the_count_under_its_hxl_tag(client, login, world):
    login("admin")
    data = client.get("/reports/donors/KOICA.csv").data
    header, tags, *rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    assert "Delivered to a collector" in header
    records = [dict(zip(tags, row, strict=True)) for row in rows]
    assert _by_regency(
        (r["#adm2+name"], int(r["#x_parcels+delivered+collector"])) for r in records
    ) == {"Kabupaten Cilacap": 0, "Kabupaten Malang": 1, "Kota Surabaya": 1}

    book = openpyxl.load_workbook(io.BytesIO(client.get("/reports/donors/KOICA.xlsx").data))
    regions = list(book.worksheets[0].iter_rows(values_only=True))
    column = regions[1].index("#x_parcels+delivered+collector")
    assert regions[0][column] == "Delivered to a collector"
    assert sum(row[column] for row in regions[2:]) == 2
