"""Times on a warehouse's clock: a warehouse in Nusa Tenggara Barat shows its manifests,
waybill, parcel history and refusals in WITA; reports name the zone they use; the
warehouse form takes a zone or its province's."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from kitlog.extensions import db
from kitlog.models import Warehouse
from kitlog.services import reference
from tests.documents.pdf import page_texts
from tests.web.conftest import field_errors, text_of
from tests.worlds import T0, LedgerWorld, ReportWorld, ScanWorld

# T0 is 07:02 UTC: 14:02 in Jakarta (WIB), 15:02 in Mataram (WITA).


@pytest.fixture
def w(make) -> ScanWorld:
    """The scan world's warehouse moved to Mataram, in Nusa Tenggara Barat."""
    world = ScanWorld(make)
    wh = world.warehouse
    reference.update_warehouse(
        db.session, wh, name=wh.name, province="Nusa Tenggara Barat", regency="Kota Mataram"
    )
    db.session.commit()
    assert wh.timezone == "Asia/Makassar"
    return world


def test_its_manifest_page_shows_wita_times(w, login, browser):
    parcel = w.parcels[0]
    manifest = w.on_the_road([parcel])
    login("warehouse")
    page = text_of(browser.get(f"/manifests/{manifest.id}"))
    assert "3 Dec 2026, 15:02 WITA" in page
    assert "14:02" not in page and "WIB" not in page


def test_its_waybill_prints_the_dispatch_in_wita(w, login, browser):
    manifest = w.on_the_road([w.parcels[0]])
    login("warehouse")
    text = " ".join(page_texts(browser.get(f"/manifests/{manifest.id}.pdf").data))
    assert "3, 2026 15:02 WITA" in text or "3 December 2026 15:02 WITA" in text


def test_its_waybill_is_dated_on_its_own_clock(w, login, browser):
    """16:30 UTC on 3 December is already the 4th in Mataram (00:30 WITA)."""
    late = T0.replace(hour=16, minute=30)
    manifest = w.on_the_road([w.parcels[0]], at=late)
    login("warehouse", language="id")
    text = " ".join(page_texts(browser.get(f"/manifests/{manifest.id}.pdf").data))
    assert "4 Desember 2026 00:30 WITA" in text


def test_its_parcel_history_shows_wita_on_both_parcel_pages(w, login, browser):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    login("admin", language="id")
    for url in (f"/p/{parcel.token}", f"/rounds/{w.round.id}/parcels/{parcel.id}"):
        page = text_of(browser.get(url))
        assert "15.02 WITA" in page, url
        assert "14.02" not in page, url


def test_a_refusal_names_the_warehouse_zone_when_it_is_not_the_deployments(w):
    parcel = w.parcels[0]
    w.scan(parcel, "pack")
    with force_locale("en"):
        result = w.scan(parcel, "pack")
        assert result.detail == "Already packed on 3 Dec 15:02 WITA by Budi."


def test_the_scan_station_lists_recent_scans_in_wita(w, login, browser):
    parcel = w.parcels[0]
    user = login("warehouse")
    w.scan(parcel, "pack", user=user)
    page = text_of(browser.get("/scan/?mode=pack"))
    assert "15:02 WITA" in page


def test_a_jakarta_warehouse_keeps_wib(make, login, browser):
    world = ScanWorld(make)
    world.warehouse.province = "DKI Jakarta"
    manifest = world.on_the_road([world.parcels[0]])
    assert world.warehouse.timezone == "Asia/Jakarta"
    login("warehouse")
    assert "3 Dec 2026, 14:02 WIB" in text_of(browser.get(f"/manifests/{manifest.id}"))


def test_the_donor_report_names_its_zone(make, login, client):
    world = ReportWorld(make)
    world.play()
    login("admin")
    page = text_of(client.get("/reports/donors/KOICA"))
    assert "Days in Asia/Jakarta (WIB)" in page
    assert "WIB. Totals only" in page  # "Figures as of … WIB."
    text = " ".join(page_texts(client.get("/reports/donors/KOICA.pdf").data))
    assert "Days in Asia/Jakarta" in text
    assert " WIB" in text  # the footer's "generated …"


def test_the_stock_report_names_its_zone(make, login, client):
    LedgerWorld(make)
    login("warehouse")
    page = text_of(client.get("/stock/report?warehouse=JKT-01&from=2026-11-01&to=2026-11-29"))
    assert "inclusive (Asia/Jakarta); made" in page
    assert "WIB." in page  # "made … WIB."


def _form(browser, url, **values):
    data = {
        "code": "MTR-01",
        "name": "Gudang Mataram",
        "province": "NTB",
        "regency": "Kota Mataram",
        "address": "",
        "timezone": "",
        **values,
    }
    return browser.submit(url, data)


def test_a_new_warehouse_takes_its_provinces_zone(login, browser):
    login("admin")
    assert _form(browser, "/warehouses/new").status_code == 302
    warehouse = db.session.query(Warehouse).filter_by(code="MTR-01").one()
    assert warehouse.timezone == "Asia/Makassar"
    assert "Asia/Makassar (WITA)" in text_of(browser.get("/warehouses"))


def test_a_zone_that_is_set_is_kept(login, browser):
    login("admin")
    assert _form(browser, "/warehouses/new", timezone="Asia/Jayapura").status_code == 302
    assert db.session.query(Warehouse).filter_by(code="MTR-01").one().timezone == "Asia/Jayapura"


def test_a_name_that_is_no_zone_is_refused_in_the_readers_language(login, browser):
    login("admin", language="id")
    response = _form(browser, "/warehouses/new", timezone="Mataram/Lombok")
    assert response.status_code == 422
    assert "Mataram/Lombok bukan zona waktu." in field_errors(response, "timezone")
    assert db.session.query(Warehouse).filter_by(code="MTR-01").one_or_none() is None


def test_editing_follows_a_corrected_province_unless_a_zone_is_set(make, login, browser):
    warehouse = make.warehouse("MTR-01", province="Jawa Timur", regency="Kota Surabaya")
    login("admin")
    url = "/warehouses/MTR-01/edit"
    form = browser.get(url).get_data(as_text=True)
    assert re.search(r'<input[^>]*name="timezone"[^>]*value=""', form)  # the province's
    assert _form(browser, url, province="Nusa Tenggara Barat").status_code == 302
    db.session.refresh(warehouse)
    assert warehouse.timezone == "Asia/Makassar"
    bali = {"province": "Bali", "regency": "Kota Denpasar", "timezone": "Asia/Jakarta"}
    assert _form(browser, url, **bali).status_code == 302
    db.session.refresh(warehouse)
    assert warehouse.timezone == "Asia/Jakarta"
    assert 'value="Asia/Jakarta"' in browser.get(url).get_data(as_text=True)
