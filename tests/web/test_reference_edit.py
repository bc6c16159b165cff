"""The admin corrects donors, kit types and warehouses; their codes never change."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from kitlog.extensions import db
from kitlog.models import Donor, KitItem, KitType, Warehouse
from tests.web.conftest import field_errors, text_of


def _fresh(model, code: str):
    db.session.expire_all()
    return db.session.query(model).filter_by(code=code).one()


def _lines(code: str) -> list[tuple[int, int, str, str]]:
    return [(c.position, c.quantity, c.unit, c.item) for c in _fresh(KitType, code).contents]


def _kit_data(**extra) -> dict:
    """The edit form as a browser sends it: every row, the unused ones empty."""
    data = {"name": "Family hygiene kit", "weight_kg": "6.5", "volume_m3": "0.045"}
    for row in range(8):
        data.update({f"contents-{row}-{f}": "" for f in ("quantity", "unit", "item")})
    data.update(
        {
            "contents-0-quantity": "10",
            "contents-0-unit": "pcs",
            "contents-0-item": "Mask",
            "contents-1-quantity": "4",
            "contents-1-unit": "bars",
            "contents-1-item": "Soap",
        }
    )
    data.update(extra)
    return data


def test_the_admin_corrects_a_donor_and_the_list_shows_it(browser, login, make):
    make.donor("KOICA", name="Korea Internasional")
    login("admin")
    form = browser.get("/donors/KOICA/edit")
    assert form.status_code == 200
    assert 'value="Korea Internasional"' in form.get_data(as_text=True)  # prefilled

    response = browser.submit(
        "/donors/KOICA/edit",
        {"name": "Korea International Cooperation Agency", "country": "Republic of Korea"},
    )
    assert response.status_code == 302
    listing = browser.get(response.headers["Location"])
    assert "Donor KOICA is saved." in text_of(listing)
    assert "Korea International Cooperation Agency" in text_of(listing)
    assert _fresh(Donor, "KOICA").country == "Republic of Korea"


def test_the_admin_corrects_a_warehouse_and_the_list_shows_it(browser, login, make):
    make.warehouse("JKT-01", name="Gudang Jakrta")
    login("admin")
    assert 'value="Gudang Jakrta"' in browser.get("/warehouses/JKT-01/edit").get_data(as_text=True)
    response = browser.submit(
        "/warehouses/JKT-01/edit",
        {
            "name": "Gudang Jakarta",
            "province": "DKI Jakarta",
            "regency": "Jakarta Timur",
            "address": "Jl. Raya Bekasi KM 21, Cakung",
        },
    )
    assert response.status_code == 302
    listing = text_of(browser.get("/warehouses"))
    assert "Warehouse JKT-01 is saved." in listing
    assert "Gudang Jakarta" in listing and "Jl. Raya Bekasi KM 21, Cakung" in listing
    # the official name of the place the form named
    assert _fresh(Warehouse, "JKT-01").regency == "Kota Administrasi Jakarta Timur"


def test_the_admin_corrects_a_kit_type_and_the_list_shows_it(browser, login, make):
    make.kit_type("HK-FAM")
    login("admin")
    response = browser.submit(
        "/kit-types/HK-FAM/edit",
        _kit_data(**{"name": "Family hygiene kit (Covid-19)", "weight_kg": "7,25"}),
    )
    assert response.status_code == 302
    listing = text_of(browser.get("/kit-types"))
    assert "Kit type HK-FAM is saved." in listing
    assert "Family hygiene kit (Covid-19)" in listing
    kit = _fresh(KitType, "HK-FAM")
    assert (kit.weight_kg, kit.volume_m3) == (Decimal("7.250"), Decimal("0.0450"))


def test_the_kit_type_form_is_prefilled_with_its_eight_rows(browser, login, make):
    make.kit_type("HK-FAM")
    login("admin")
    html = browser.get("/kit-types/HK-FAM/edit").get_data(as_text=True)
    assert html.count('name="contents-7-item"') == 1 and 'name="contents-8-item"' not in html
    assert re.search(r'name="contents-0-item"[^>]*value="Mask"', html)
    assert re.search(r'name="contents-1-quantity"[^>]*value="4"', html)
    assert re.search(r'name="weight_kg"[^>]*value="6.5"', html)
    assert re.search(r'name="contents-2-item"[^>]*value=""', html)
    assert 'name="code"' not in html  # shown, not editable
    assert "HK-FAM" in text_of(browser.get("/kit-types/HK-FAM/edit"))


@pytest.mark.parametrize(
    ("path", "model", "data"),
    [
        ("/donors/KOICA/edit", Donor, {"name": "KOICA", "country": "Korea"}),
        (
            "/warehouses/JKT-01/edit",
            Warehouse,
            {"name": "Gudang", "province": "DKI Jakarta", "regency": "Jakarta Selatan"},
        ),
        ("/kit-types/HK-FAM/edit", KitType, _kit_data()),
    ],
)
def test_a_posted_code_is_ignored_and_the_code_stays(browser, login, make, path, model, data):
    make.donor("KOICA"), make.warehouse("JKT-01"), make.kit_type("HK-FAM")
    login("admin")
    old_code = path.split("/")[2]
    response = browser.submit(path, {**data, "code": "HACKED"})
    assert response.status_code == 302
    db.session.expire_all()
    assert [obj.code for obj in db.session.query(model)] == [old_code]


def test_editing_kit_contents_replaces_the_rows_in_their_order(browser, login, make):
    make.kit_type("HK-FAM")
    assert _lines("HK-FAM") == [(1, 10, "pcs", "Mask"), (2, 4, "bars", "Soap")]
    login("admin")
    response = browser.submit(
        "/kit-types/HK-FAM/edit",
        _kit_data(
            **{
                "contents-0-quantity": "4",
                "contents-0-unit": "bars",
                "contents-0-item": "Bar soap",
                "contents-1-quantity": "1",
                "contents-1-unit": "bottle",
                "contents-1-item": "Hand sanitizer 500 ml",
                # row 2 left empty: ignored, and the next line closes the gap
                "contents-3-quantity": "10",
                "contents-3-unit": "pcs",
                "contents-3-item": "Cloth face mask",
            }
        ),
    )
    assert response.status_code == 302
    assert _lines("HK-FAM") == [
        (1, 4, "bars", "Bar soap"),
        (2, 1, "bottle", "Hand sanitizer 500 ml"),
        (3, 10, "pcs", "Cloth face mask"),
    ]
    db.session.expire_all()
    assert db.session.query(KitItem).count() == 3


def _kit_snapshot():
    kit = _fresh(KitType, "HK-FAM")
    return (kit.name, kit.weight_kg, kit.volume_m3, _lines("HK-FAM"))


@pytest.mark.parametrize(
    ("changes", "field_id", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"weight_kg": "-1"}, "weight_kg", "Number must be between 0 and 999999."),
        ({"contents-1-quantity": "0"}, None, "Number must be between 1 and 100000."),
        (
            {f"contents-{r}-{f}": "" for r in (0, 1) for f in ("quantity", "unit", "item")},
            None,
            "List at least one item in the kit.",
        ),
    ],
)
def test_a_bad_kit_type_value_is_refused_and_changes_nothing(
    browser, login, make, changes, field_id, message
):
    make.kit_type("HK-FAM")
    before = _kit_snapshot()
    login("admin")
    response = browser.submit("/kit-types/HK-FAM/edit", _kit_data(**{"name": "Renamed", **changes}))
    assert response.status_code == 422
    if field_id:
        assert message in field_errors(response, field_id)
    else:
        assert message in text_of(response)
    if changes.get("contents-1-quantity") == "0":  # marked on its own row
        tag = re.search(r'<input[^>]*name="contents-1-quantity"[^>]*>', response.text).group()
        assert 'aria-invalid="true"' in tag
    assert _kit_snapshot() == before


def test_a_refused_kit_type_keeps_what_was_typed_on_its_row(browser, login, make):
    make.kit_type("HK-FAM")
    login("admin")
    response = browser.submit(
        "/kit-types/HK-FAM/edit",
        _kit_data(**{"contents-1-quantity": "0", "contents-2-item": "Bucket"}),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'name="contents-2-item"[^>]*value="Bucket"', html)
    assert "Fill in the item, its quantity and its unit." in text_of(response)


def test_a_bad_donor_or_warehouse_value_is_refused_and_changes_nothing(browser, login, make):
    make.donor("KOICA", name="KOICA")
    make.warehouse("JKT-01", name="Gudang Jakarta")
    login("admin")
    response = browser.submit("/donors/KOICA/edit", {"name": "  ", "country": "Korea"})
    assert response.status_code == 422
    assert "This field is required." in field_errors(response, "name")
    assert (_fresh(Donor, "KOICA").name, _fresh(Donor, "KOICA").country) == ("KOICA", "Korea")

    response = browser.submit(
        "/warehouses/JKT-01/edit",
        {"name": "Gudang Cakung", "province": "", "regency": "Jakarta Timur"},
    )
    assert response.status_code == 422
    assert "This field is required." in field_errors(response, "province")
    warehouse = _fresh(Warehouse, "JKT-01")
    assert (warehouse.name, warehouse.regency_code) == ("Gudang Jakarta", "31.74")


EDIT_PAGES = ["/donors/KOICA/edit", "/kit-types/HK-FAM/edit", "/warehouses/JKT-01/edit"]


@pytest.fixture
def reference_data(make):
    make.donor("KOICA"), make.kit_type("HK-FAM"), make.warehouse("JKT-01")


@pytest.mark.parametrize("path", EDIT_PAGES)
@pytest.mark.parametrize("role", ["warehouse", "field", "donor"])
def test_only_the_admin_may_edit_reference_data(client, auth, reference_data, path, role):
    auth.login(role)
    assert client.get(path).status_code == 403
    token = auth.csrf_token("/dashboard")
    assert client.post(path, data={"name": "Taken over", "csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert "Taken over" not in {
        obj.name for model in (Donor, KitType, Warehouse) for obj in db.session.query(model)
    }


@pytest.mark.parametrize("path", EDIT_PAGES)
def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login_form(client, reference_data, path):
    response = client.get(path)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


@pytest.mark.parametrize(
    "path", ["/donors/NOPE/edit", "/kit-types/NOPE/edit", "/warehouses/NOPE/edit"]
)
def test_an_unknown_code_is_404(client, login, path):
    login("admin")
    assert client.get(path).status_code == 404


def test_only_the_admin_sees_the_edit_links(client, auth, login, reference_data):
    pages = {
        "/donors": "/donors/KOICA/edit",
        "/kit-types": "/kit-types/HK-FAM/edit",
        "/warehouses": "/warehouses/JKT-01/edit",
    }
    login("warehouse")
    for page, link in pages.items():
        assert link not in client.get(page).get_data(as_text=True)
    auth.logout()
    login("admin")
    for page, link in pages.items():
        assert f'href="{link}"' in client.get(page).get_data(as_text=True)


def test_a_kit_type_with_more_lines_than_the_form_has_rows_keeps_them_all(browser, login, make):
    from kitlog.services import reference
    from kitlog.services.reference import ContentLine

    kit = make.kit_type("HK-BIG")
    lines = [ContentLine(f"Item {n}", n, "pcs") for n in range(1, 11)]  # the API allows 100
    reference.update_kit_type(
        db.session, kit, name=kit.name, weight_kg="9", volume_m3="0.06", contents=lines
    )
    login("admin")
    html = browser.get("/kit-types/HK-BIG/edit").get_data(as_text=True)
    assert re.search(r'name="contents-9-item"[^>]*value="Item 10"', html)

    data = _kit_data(name="Big kit")
    for n in range(10):
        data.update(
            {
                f"contents-{n}-quantity": str(n + 1),
                f"contents-{n}-unit": "pcs",
                f"contents-{n}-item": f"Item {n + 1}",
            }
        )
    assert browser.submit("/kit-types/HK-BIG/edit", data).status_code == 302
    assert [line[3] for line in _lines("HK-BIG")] == [f"Item {n}" for n in range(1, 11)]


def test_a_weight_of_zero_is_a_number_not_a_missing_value(browser, login, make):
    make.kit_type("HK-FAM")
    login("admin")
    response = browser.submit("/kit-types/HK-FAM/edit", _kit_data(weight_kg="0"))
    assert response.status_code == 302
    assert _fresh(KitType, "HK-FAM").weight_kg == Decimal("0.000")


def test_a_kit_type_using_all_eight_rows_gets_empty_rows_to_add_lines(browser, login, make):
    from kitlog.services import reference
    from kitlog.services.reference import ContentLine

    kit = make.kit_type("HK-FAM")
    lines = [ContentLine(f"Item {n}", n, "pcs") for n in range(1, 9)]
    reference.update_kit_type(
        db.session, kit, name=kit.name, weight_kg="9", volume_m3="0.06", contents=lines
    )
    login("admin")
    html = browser.get("/kit-types/HK-FAM/edit").get_data(as_text=True)
    assert re.search(r'name="contents-7-item"[^>]*value="Item 8"', html)
    assert re.search(r'name="contents-8-item"[^>]*value=""', html)

    data = _kit_data(**{"contents-8-quantity": "1", "contents-8-unit": "pcs"})
    data["contents-8-item"] = "Bucket"
    for n in range(2, 8):
        data.update(
            {f"contents-{n}-quantity": "1", f"contents-{n}-unit": "pcs", f"contents-{n}-item": "x"}
        )
    assert browser.submit("/kit-types/HK-FAM/edit", data).status_code == 302
    assert len(_lines("HK-FAM")) == 9 and _lines("HK-FAM")[-1][3] == "Bucket"
