"""Donors, kit types and warehouses through their forms: created once, never twice."""

from __future__ import annotations

from decimal import Decimal

from kitlog.extensions import db
from kitlog.models import Donor, KitItem, KitType, Warehouse
from tests.web.conftest import field_errors, text_of


def _count(model) -> int:
    db.session.expire_all()
    return db.session.query(model).count()


def test_the_admin_adds_a_donor_and_sees_it_listed(browser, login):
    login("admin")
    response = browser.submit(
        "/donors/new", {"code": "echo", "name": "European Civil Protection", "country": "EU"}
    )
    assert response.status_code == 302
    listing = browser.get(response.headers["Location"])
    assert "Donor ECHO is added." in text_of(listing)
    assert "European Civil Protection" in text_of(listing)
    assert db.session.query(Donor).filter_by(code="ECHO").one().country == "EU"


def test_a_duplicate_donor_code_is_shown_on_the_code_field_and_nothing_is_created(
    browser, login, make
):
    make.donor("KOICA")
    login("admin")
    response = browser.submit("/donors/new", {"code": "koica", "name": "Another KOICA"})
    assert response.status_code == 422
    assert "The code KOICA is already in use." in field_errors(response, "code")
    assert 'value="koica"' in response.get_data(as_text=True)  # what was typed stays
    assert _count(Donor) == 1


def test_a_donor_needs_a_name(browser, login):
    login("admin")
    response = browser.submit("/donors/new", {"code": "ECHO", "name": ""})
    assert response.status_code == 422
    assert "This field is required." in field_errors(response, "name")
    assert _count(Donor) == 0


def test_the_admin_adds_a_warehouse_and_a_duplicate_code_is_refused(browser, login, make):
    login("admin")
    data = {
        "code": "MDN-01",
        "name": "Gudang Medan",
        "province": "Sumatera Utara",
        "regency": "Kota Medan",
        "address": "Jl. Gatot Subroto",
    }
    assert browser.submit("/warehouses/new", data).status_code == 302
    assert "Gudang Medan" in text_of(browser.get("/warehouses"))

    again = browser.submit("/warehouses/new", {**data, "name": "Another Medan"})
    assert again.status_code == 422
    assert "The code MDN-01 is already in use." in field_errors(again, "code")
    assert _count(Warehouse) == 1


def _kit_type_data(code="HK-FAM", **extra):
    data = {
        "code": code,
        "name": "Family hygiene kit",
        "weight_kg": "6,5",  # an Indonesian decimal comma is understood
        "volume_m3": "0.045",
        "contents-0-quantity": "10",
        "contents-0-unit": "pcs",
        "contents-0-item": "Cloth face mask",
        # row 1 left empty: ignored
        "contents-2-quantity": "4",
        "contents-2-unit": "bars",
        "contents-2-item": "Bar soap",
    }
    data.update(extra)
    return data


def test_the_admin_adds_a_kit_type_with_its_contents_and_empty_rows_are_ignored(browser, login):
    login("admin")
    form = browser.get("/kit-types/new").get_data(as_text=True)
    assert form.count('name="contents-7-item"') == 1  # eight rows work without JavaScript

    response = browser.submit("/kit-types/new", _kit_type_data())
    assert response.status_code == 302
    kit = db.session.query(KitType).filter_by(code="HK-FAM").one()
    assert kit.weight_kg == Decimal("6.500")
    assert [(c.position, c.quantity, c.unit, c.item) for c in kit.contents] == [
        (1, 10, "pcs", "Cloth face mask"),
        (2, 4, "bars", "Bar soap"),
    ]
    listing = text_of(browser.get("/kit-types"))
    assert "Cloth face mask" in listing and "Bar soap" in listing


def test_a_duplicate_kit_type_code_is_refused_and_creates_no_kit_type_and_no_line(
    browser, login, make
):
    make.kit_type("HK-FAM")
    login("admin")
    response = browser.submit("/kit-types/new", _kit_type_data(name="Copy"))
    assert response.status_code == 422
    assert "The code HK-FAM is already in use." in field_errors(response, "code")
    assert _count(KitType) == 1
    assert _count(KitItem) == 2  # the factory's two lines, none added


def test_a_half_filled_content_line_is_marked_on_its_row(browser, login):
    login("admin")
    response = browser.submit(
        "/kit-types/new", _kit_type_data(**{"contents-2-unit": "", "contents-5-item": "Bucket"})
    )
    assert response.status_code == 422
    page = text_of(response)
    assert page.count("Fill in the item, its quantity and its unit.") >= 2
    assert _count(KitType) == 0


def test_a_kit_type_without_any_content_line_is_refused(browser, login):
    login("admin")
    data = {k: v for k, v in _kit_type_data().items() if not k.startswith("contents")}
    response = browser.submit("/kit-types/new", data)
    assert response.status_code == 422
    assert "List at least one item in the kit." in text_of(response)
    assert _count(KitType) == 0


def test_staff_read_the_lists_but_only_the_admin_is_offered_the_create_buttons(client, login, make):
    make.donor("KOICA")
    login("warehouse")
    page = client.get("/donors")
    assert "KOICA" in text_of(page)
    assert "/donors/new" not in page.get_data(as_text=True)
