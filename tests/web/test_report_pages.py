"""The donor report page: what an admin and a donor user read on it, in kits, and the
reconciliation written out with its numbers."""

from __future__ import annotations

import json
import re

import pytest

from tests.web.conftest import text_of
from tests.worlds import ReportWorld


@pytest.fixture
def world(make) -> ReportWorld:
    world = ReportWorld(make)
    world.play()
    return world


def chart_data(response) -> dict:
    html = response.get_data(as_text=True)
    match = re.search(
        r'<script type="application/json" id="report-chart-data">(.*?)</script>', html, re.S
    )
    assert match, "no chart data block"
    return json.loads(match.group(1))


def test_the_admin_lists_every_donor_and_opens_each_report(client, login, world):
    login("admin")
    page = client.get("/reports/")
    assert page.status_code == 200
    text = text_of(page)
    assert "Donor KOICA" in text and "Donor DFAT" in text
    assert 'href="/reports/donors/KOICA"' in page.get_data(as_text=True)
    assert client.get("/reports/donors/DFAT").status_code == 200


def test_a_donor_user_going_to_the_reports_lands_on_their_own(client, login, world):
    login("donor", donor=world.dfat)
    response = client.get("/reports/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/reports/donors/DFAT")


def test_the_report_shows_reach_success_and_the_batches_in_kits(client, login, world):
    login("donor", donor=world.koica)
    page = client.get("/reports/donors/KOICA")
    assert page.status_code == 200
    text = text_of(page)
    assert "Households reached 3" in text
    assert "People reached 12" in text
    assert "Vulnerable households reached 1" in text
    assert "Delivery success rate 60%" in text
    assert "3 of 5 parcels whose delivery was attempted" in text
    assert "Kits delivered 6 of 85 pledged" in text
    # lot A's row, then its losses by reason
    assert re.search(r"LOT-A .*? 10 10 1 Damaged at receipt: 1 0 2 2 1 6 3 12", text, re.I), text
    assert "LOT-C" not in text  # DFAT's lot
    # regency, province, kits delivered, households targeted and reached, people, vulnerable
    assert "Kabupaten Malang Jawa Timur (35) 4 2 2 7 1" in text
    assert "Kota Surabaya Jawa Timur (35) 2 2 1 5 0" in text
    # households 3 and 4: one parcel back on the shelf, one on the road; nobody reached yet
    assert "Kabupaten Cilacap Jawa Tengah (33) 0 2 0 0 0" in text


def test_the_reconciliation_is_written_out_with_its_numbers(client, login, world):
    login("admin")
    text = text_of(client.get("/reports/donors/KOICA"))
    assert "LOT-A 10 + 0 = 1 + 2 + 1 + 6 reconciles" in text
    assert "LOT-B 20 + 2 = 1 + 20 + 1 + 0 reconciles" in text
    assert (
        "All batches: received 80 + adjusted 2 = lost 2 + on hand 72 + in transit 2"
        " + delivered 6." in text
    )
    assert "The report reconciles to the last kit." in text
    assert "does not reconcile" not in text


def test_the_chart_reads_its_days_from_a_json_block_and_keeps_a_table(client, login, world):
    login("admin")
    page = client.get("/reports/donors/KOICA")
    data = chart_data(page)
    assert data["labels"] == ["2026-12-03", "2026-12-04"]
    assert data["delivered"] == [4, 2] and data["cumulative"] == [4, 6]
    assert data["target"] == 85
    html = page.get_data(as_text=True)
    assert "/static/vendor/chart.js/chart.umd.min.js" in html
    assert "/static/js/report.js" in html
    # no inline script: every <script> either loads a file or is a JSON data block
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert 'style="' not in html
    text = text_of(page)
    assert "Day by day" in text
    assert "3 Dec 2026 4 4 5%" in text and "4 Dec 2026 2 6 7%" in text  # of 85 pledged


def test_batches_nearing_expiry_are_listed(client, login, world):
    login("admin")
    text = text_of(client.get("/reports/donors/KOICA"))
    section = text.split("Batches nearing expiry", 1)[1]
    assert re.search(r"LOT-A expire[sd] on 15 Jan 2027 · 2 kits on hand", section), section
    assert "LOT-B" not in section.split("Figures as of")[0]


def test_numbers_follow_the_readers_language(client, login, make, world):
    make.batch(received=12_500, donor=world.koica, warehouse=world.w.warehouse, lot="LOT-BIG")
    login("admin", language="id")
    text = text_of(client.get("/reports/donors/KOICA"))
    assert "12.500" in text  # Indonesian thousands
    assert "Rekonsiliasi" in text or "Reconciliation" in text


def test_export_links_appear_only_for_exports_that_exist(app, client, login, world):
    login("admin")
    html = client.get("/reports/donors/KOICA").get_data(as_text=True)
    for fmt in ("csv", "xlsx", "pdf"):
        exists = f"reports.donor_report_{fmt}" in app.view_functions
        assert (f'href="/reports/donors/KOICA.{fmt}"' in html) == exists, fmt


def test_the_page_offers_every_table_as_a_csv_with_hxl_hashtags(client, login, world):
    login("admin", language="en")
    page = client.get("/reports/donors/KOICA")
    html = page.get_data(as_text=True)
    links = html.split("data-csv-links", 1)[1].split("</p>", 1)[0]
    # by region keeps the CSV's old address (its default table); the others name theirs
    assert re.findall(r'href="([^"]+)"', links) == [
        "/reports/donors/KOICA.csv",
        "/reports/donors/KOICA.csv?table=batches",
        "/reports/donors/KOICA.csv?table=timeline",
        "/reports/donors/KOICA.csv?table=feedback",
        "/reports/donors/KOICA.csv?table=pdm",
    ]
    assert "CSV with HXL hashtags: By region Batches Timeline Feedback Monitoring (PDM)" in text_of(
        page
    )


def test_the_regions_table_defines_households_targeted_in_indonesian(client, login, world):
    login("admin", language="id")
    text = text_of(client.get("/reports/donors/KOICA"))
    assert "Rumah tangga sasaran: yang memiliki paket berisi kit donor ini" in text
    assert "CSV dengan tagar HXL:" in text


def test_an_unknown_donor_is_404_for_the_admin(client, login, world):
    login("admin")
    assert client.get("/reports/donors/NOBODY").status_code == 404


def test_a_donor_user_cannot_read_another_donors_report(client, login, world):
    login("donor", donor=world.dfat)
    assert client.get("/reports/donors/KOICA").status_code == 403
    assert client.get("/reports/donors/koica").status_code == 403
    assert client.get("/reports/donors/NOBODY").status_code == 403  # no probing of codes
    assert client.get("/reports/donors/dfat").status_code == 200


@pytest.mark.parametrize("role", ["warehouse", "field"])
def test_staff_other_than_the_admin_do_not_read_donor_reports(client, login, world, role):
    login(role)
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/donors/KOICA").status_code == 403


def test_a_donor_without_deliveries_sees_an_honest_empty_report(client, login, make):
    donor = make.donor("EMPTY")
    login("donor", donor=donor)
    page = client.get("/reports/donors/EMPTY")
    text = text_of(page)
    assert page.status_code == 200
    assert "No kit has been delivered yet." in text
    assert "No batch from this donor has been received yet." in text
    assert "report-chart-data" not in page.get_data(as_text=True)


def test_the_donors_dashboard_links_to_their_report(client, login, world):
    login("donor", donor=world.koica)
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/reports/donors/KOICA"' in html
