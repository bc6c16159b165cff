"""The report page's downloads: /reports/donors/<code>.csv, .xlsx and .pdf — the same
numbers as the report, for an admin and for the donor's own users only."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import FEEDBACK_CATEGORIES, ShareLink
from kitlog.services import share_links
from kitlog.services.reports import donor_report
from tests.documents.pdf import page_texts, poppler
from tests.worlds import ReportWorld

KINDS = ("csv", "xlsx", "pdf")


@pytest.fixture
def world(make):
    world = ReportWorld(make)
    world.play()
    return world


def the_report(app, donor):
    zone = app.config["TIMEZONE"]
    return donor_report(db.session, donor, today=datetime.now(ZoneInfo(zone)).date(), timezone=zone)


def csv_records(data: bytes) -> tuple[list[str], list[str], list[dict]]:
    header, tags, *rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return header, tags, [dict(zip(tags, row, strict=True)) for row in rows]


def test_the_csv_is_the_region_table_with_the_reports_numbers(app, client, login, world):
    login("admin")
    response = client.get("/reports/donors/KOICA.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # as HXL tools ask
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="donor-report-KOICA-'
    )
    header, tags, rows = csv_records(response.data)
    assert header[0] == "Donor" and tags[0] == "#org+funder"  # the HXL row under the header
    report = the_report(app, world.koica)
    assert [
        (r["#adm1+name"], r["#adm2+name"], int(r["#x_kits+delivered"]), int(r["#reached+hh"]),
         int(r["#reached+ind"]), int(r["#x_reached+hh+vulnerable"]))
        for r in rows
    ] == [
        (g.province, g.regency, g.delivered, g.households_reached, g.people_reached,
         g.vulnerable_households_reached)
        for g in report.by_region
    ]  # fmt: skip
    assert {r["#org+impl"] for r in rows} == {app.config["ORGANISATION"]}
    assert sum(int(r["#x_kits+delivered"]) for r in rows) == report.delivered


@pytest.mark.parametrize("table", ["batches", "timeline"])
def test_the_csv_gives_the_other_tables_on_request(app, client, login, world, table):
    login("admin")
    response = client.get(f"/reports/donors/KOICA.csv?table={table}")
    assert response.status_code == 200
    assert f'-{table}.csv"' in response.headers["Content-Disposition"]
    _, _, rows = csv_records(response.data)
    report = the_report(app, world.koica)
    if table == "batches":
        assert [
            (r["#x_batch+lot"], int(r["#x_kits+received"]), int(r["#x_kits+lost"]),
             int(r["#x_kits+adjusted"]), int(r["#x_kits+onhand"]), int(r["#x_kits+transit"]),
             int(r["#x_kits+delivered"]))
            for r in rows
        ] == [
            (b.lot, b.received, b.lost, b.adjusted, b.on_hand, b.in_transit, b.delivered)
            for b in report.batches
        ]  # fmt: skip
    else:
        assert [(r["#date"], int(r["#x_kits+delivered"])) for r in rows] == [
            (d.date.isoformat(), d.delivered) for d in report.timeline
        ]


def test_an_unknown_csv_table_is_refused(client, login, world):
    login("admin")
    assert client.get("/reports/donors/KOICA.csv?table=households").status_code == 422


def test_the_workbook_has_the_five_tables_with_numbers(app, client, login, world):
    login("admin")
    response = client.get("/reports/donors/KOICA.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert len(book.worksheets) == 5
    regions, batches, timeline, feedback, pdm = (
        list(s.iter_rows(values_only=True)) for s in book.worksheets
    )
    report = the_report(app, world.koica)
    tags = batches[1]
    on_hand = [dict(zip(tags, row, strict=True))["#x_kits+onhand"] for row in batches[2:]]
    assert on_hand == [b.on_hand for b in report.batches]
    delivered = timeline[1].index("#x_kits+delivered")
    assert [row[delivered] for row in timeline[2:]] == [d.delivered for d in report.timeline]
    assert len(regions) == 2 + len(report.by_region)
    # feedback: a row per category, zeros included; PDM: one row, no response yet
    assert [(row[2], row[4]) for row in feedback[2:]] == [(c, 0) for c in FEEDBACK_CATEGORIES]
    assert [row[2:5] for row in pdm[2:]] == [(0, None, None)]


def test_the_pdf_carries_the_reconciliation(app, client, login, world):
    login("admin")
    response = client.get("/reports/donors/KOICA.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = " ".join(" ".join(page_texts(response.data)).split())
    report = the_report(app, world.koica)
    assert f"Donor report: {world.koica.name}" in text
    for b in report.batches:  # a batch is named by its lot, as on the page
        assert f"{b.lot} " in text
    assert "Every batch reconciles to the last kit." in text
    assert "Page 1 of" in text


def test_a_korean_donors_name_prints_in_its_own_script_in_the_pdf(client, auth, make):
    donor = make.donor("KOICA", name="한국국제협력단")
    make.batch(donor=donor, lot="KOICA-HK-2020-001")
    auth.login("admin")  # a user whose language is Indonesian
    text = poppler("pdftotext", client.get("/reports/donors/KOICA.pdf").data)
    assert "Laporan donatur: 한국국제협력단" in text
    assert "KOICA-HK-2020-001" in text  # the batch, by its lot


def test_the_pdf_comes_in_indonesian_by_default(client, auth, world):
    auth.login("admin")  # a user whose language is Indonesian
    text = " ".join(page_texts(client.get("/reports/donors/KOICA.pdf").data))
    assert "KOICA" in text


@pytest.mark.parametrize("kind", KINDS)
def test_a_donor_downloads_their_own_report_only(client, login, world, kind):
    login("donor", donor=world.koica)
    assert client.get(f"/reports/donors/KOICA.{kind}").status_code == 200
    assert client.get(f"/reports/donors/koica.{kind}").status_code == 200
    assert client.get(f"/reports/donors/DFAT.{kind}").status_code == 403
    assert client.get(f"/reports/donors/NOBODY.{kind}").status_code == 403  # no probing


@pytest.mark.parametrize("kind", KINDS)
def test_an_unknown_donor_is_404_for_an_admin(client, login, world, kind):
    login("admin")
    assert client.get(f"/reports/donors/NOBODY.{kind}").status_code == 404


@pytest.mark.parametrize("role", ["warehouse", "field"])
@pytest.mark.parametrize("kind", KINDS)
def test_staff_without_reports_cannot_download(client, login, world, role, kind):
    login(role)
    assert client.get(f"/reports/donors/KOICA.{kind}").status_code == 403


@pytest.mark.parametrize("kind", KINDS)
def test_no_download_without_logging_in(client, world, kind):
    response = client.get(f"/reports/donors/KOICA.{kind}")
    assert response.status_code in (302, 401)
    assert "/login" in response.headers.get("Location", "/login")


def test_the_downloads_are_not_cached(client, login, world):
    login("admin")
    for kind in KINDS:
        response = client.get(f"/reports/donors/KOICA.{kind}")
        assert "no-store" in response.headers["Cache-Control"]


def share(donor, *, days=30, now=None, revoked=False) -> str:
    link, token = share_links.create_share_link(
        db.session, donor, label="KOICA Seoul office", days=days, user=None, now=now
    )
    if revoked:
        share_links.revoke_share_link(db.session, link, user=None)
    db.session.commit()
    return token


@pytest.mark.parametrize("kind", KINDS)
def test_a_share_link_downloads_the_same_files_without_an_account(app, client, world, kind):
    token = share(world.koica)
    response = client.get(f"/share/{token}.{kind}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f'.{kind}"')
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]
    link = db.session.scalar(select(ShareLink))
    db.session.refresh(link)
    assert link.uses == 1  # a download is a use of the link


def test_a_shared_csv_has_the_donors_numbers_and_only_theirs(app, client, world):
    token = share(world.koica)
    rows = csv_records(client.get(f"/share/{token}.csv?table=batches").data)[2]
    report = the_report(app, world.koica)
    assert [r["#x_batch+lot"] for r in rows] == [b.lot for b in report.batches]
    assert "LOT-C" not in {r["#x_batch+lot"] for r in rows}  # DFAT's lot


@pytest.mark.parametrize("kind", KINDS)
def test_an_unknown_expired_or_revoked_link_downloads_nothing(client, world, kind):
    expired = share(world.koica, days=1, now=datetime.now(UTC) - timedelta(days=2))
    revoked = share(world.koica, revoked=True)
    unknown = "A" * 32
    for token in (expired, revoked, unknown):
        response = client.get(f"/share/{token}.{kind}")
        assert response.status_code == 404, token
        assert response.mimetype == "text/html"


def test_the_shared_page_links_to_its_downloads_in_its_language(client, world):
    token = share(world.koica)  # a link in Indonesian
    page = client.get(f"/share/{token}").get_data(as_text=True)
    for kind in KINDS:
        assert f'href="/share/{token}.{kind}?lang=id"' in page
    for table in ("batches", "timeline"):
        assert f'href="/share/{token}.csv?lang=id&amp;table={table}"' in page
    page = client.get(f"/share/{token}?lang=en").get_data(as_text=True)
    for kind in KINDS:
        assert f'href="/share/{token}.{kind}?lang=en"' in page
