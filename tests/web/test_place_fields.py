"""The forms that name official places (a household's address, a round's area, where a
warehouse stands) without a script: the names are typed and matched by the services; a
name that is unknown or means more than one place comes back with the places it may be,
one of which the user picks and saves; the hidden code fields are the script's alone."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from kitlog.blueprints.reference.forms import WarehouseForm
from kitlog.extensions import db
from kitlog.models import Household, Round, Warehouse
from tests.web.conftest import field_errors, text_of

SEDAYU = ("35", "35.07", "35.07.09", "35.07.09.1008")


def _household_form(**changes) -> dict:
    data = {
        "head_name": "Siti Rahayu",
        "nik": "3507 1245 0685 0001",
        "worker_name": "Agus Santoso",
        "worker_relation": "spouse",
        "province": "Jawa Timur",
        "regency": "Kabupaten Malang",
        "district": "Turen",
        "village": "Sedayu",
        "members": "4",
        "consent": "y",
        "consent_date": "2020-12-01",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _households() -> list[Household]:
    db.session.expire_all()
    return list(db.session.scalars(select(Household).order_by(Household.id)))


def _codes(place) -> tuple:
    return (place.province_code, place.regency_code, place.district_code, place.village_code)


def _tag(html: str, name: str) -> str:
    match = re.search(rf"<input[^>]*name=\"{name}\"[^>]*>", html)
    assert match, f"no input {name}"
    return match.group(0)


def _picks(response, level: str) -> dict[str, str]:
    """The places offered to choose from under a refused field: code -> what it says."""
    html = response.get_data(as_text=True)
    block = re.search(rf'data-place-picks="{level}">(.*?)</fieldset>', html, re.S)
    if block is None:
        return {}
    return {
        code: re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", label))).strip()
        for code, label in re.findall(
            r'name="place_pick" value="([^"]+)".*?<label[^>]*>(.*?)</label>', block.group(1), re.S
        )
    }


@pytest.mark.parametrize(
    ("path", "codes"),
    [
        ("/households/new", ["village_code"]),
        ("/rounds/new", ["province_code", "regency_code"]),
        ("/warehouses/new", ["village_code", "regency_code"]),
    ],
)
def test_only_the_script_sends_the_code_fields(browser, login, path, codes):
    """A code field is disabled until places.js runs: without it, the names typed are
    matched, and a code they no longer agree with is never sent."""
    login("admin")
    html = browser.get(path).get_data(as_text=True)
    for name in codes:
        tag = _tag(html, name)
        assert 'type="hidden"' in tag and "disabled" in tag
        assert "data-place-code=" in tag
    assert 'src="/static/js/places.js"' in html
    assert 'data-places-url="/api/v1/places"' in html


def test_a_village_picked_from_the_lists_is_saved_by_its_code(browser, login):
    login("field")
    response = browser.submit("/households/new", _household_form(village_code="35.07.09.1008"))
    assert response.status_code == 302
    [household] = _households()
    assert _codes(household) == SEDAYU


def test_an_ambiguous_regency_offers_its_places_and_the_one_picked_is_saved(browser, login):
    login("field")
    typed = _household_form(regency="malang")
    response = browser.submit("/households/new", typed)
    assert response.status_code == 422
    assert _households() == []
    error = field_errors(response, "regency")
    assert "Kabupaten Malang (35.07)" in error and "Kota Malang (35.73)" in error
    assert _picks(response, "regency") == {
        "35.07": "Kabupaten Malang 35.07",
        "35.73": "Kota Malang 35.73",
    }
    assert "Choose the place you meant, then save again:" in text_of(response)
    html = response.get_data(as_text=True)
    assert 'value="malang"' in _tag(html, "regency")  # what was typed stays

    saved = browser.submit("/households/new", {**typed, "place_pick": "35.07"})
    assert saved.status_code == 302
    [household] = _households()
    assert _codes(household) == SEDAYU
    assert household.regency == "Kabupaten Malang"


def test_an_unknown_village_offers_the_villages_it_may_be(browser, login):
    login("field")
    typed = _household_form(village="Gedok")
    response = browser.submit("/households/new", typed)
    assert response.status_code == 422
    picks = _picks(response, "village")
    assert picks["35.07.09.2005"] == "Gedok Kulon 35.07.09.2005"
    assert picks["35.07.09.2006"] == "Gedok Wetan 35.07.09.2006"
    saved = browser.submit("/households/new", {**typed, "place_pick": "35.07.09.2006"})
    assert saved.status_code == 302
    [household] = _households()
    assert (household.village, household.village_code) == ("Gedok Wetan", "35.07.09.2006")


@pytest.mark.parametrize("pick", ["99.99", "35.07" + "9" * 5000, "<b>"])
def test_a_pick_that_is_no_place_is_ignored(browser, login, pick):
    login("field")
    typed = _household_form(regency="Malang", place_pick=pick)
    response = browser.submit("/households/new", typed)
    assert response.status_code == 422
    assert set(_picks(response, "regency")) == {"35.07", "35.73"}


def test_a_household_moved_to_another_village_without_the_script(browser, login, make):
    household = make.household(village="Sedayu")
    login("field")
    page = browser.get(f"/households/{household.code}/edit").get_data(as_text=True)
    assert 'value="35.07.09.1008"' in _tag(page, "village_code")  # for places.js
    values = {
        "head_name": household.head_name,
        "nik": household.nik,
        "phone": household.phone,
        "worker_name": household.worker_name,
        "worker_relation": household.worker_relation,
        "province": "Jawa Timur",
        "regency": "Kabupaten Malang",
        "district": "Turen",
        "village": "Talok",  # the hidden code, disabled, is not sent
        "members": "4",
        "consent": "y",
        "consent_date": "2020-12-01",
        "status": "active",
    }
    response = browser.submit(f"/households/{household.code}/edit", values)
    assert response.status_code == 302, field_errors(response, "village")
    [saved] = _households()
    assert (saved.village, saved.village_code) == ("Talok", "35.07.09.2007")


def _round_form(batch, **values) -> dict:
    form = {
        "name": "KOICA kits, East Java",
        "batches": [batch.id],
        "warehouse": batch.warehouse_id,
        "entitlement": "1",
        "province": "Jawa Timur",
        "regency": "Kabupaten Malang",
        "proof": "none",
    }
    form.update(values)
    return form


def _round() -> Round:
    db.session.expire_all()
    return db.session.scalars(select(Round)).one()


def test_a_rounds_area_picked_from_the_lists_is_saved_by_its_code(browser, login, make):
    batch = make.batch(received=10)
    login("admin")
    response = browser.submit(
        "/rounds/new", _round_form(batch, province_code="", regency_code="35.07")
    )
    assert response.status_code == 302
    round_ = _round()
    assert (round_.province_code, round_.regency_code) == ("35", "35.07")
    edit = browser.get(f"/rounds/{round_.id}/edit").get_data(as_text=True)
    assert 'value="35.07"' in _tag(edit, "regency_code")


def test_a_rounds_ambiguous_regency_offers_its_places(browser, login, make):
    batch = make.batch(received=10)
    login("admin")
    typed = _round_form(batch, regency="Kediri")
    response = browser.submit("/rounds/new", typed)
    assert response.status_code == 422
    assert set(_picks(response, "regency")) == {"35.06", "35.71"}
    saved = browser.submit("/rounds/new", {**typed, "place_pick": "35.71"})
    assert saved.status_code == 302
    round_ = _round()
    assert (round_.regency, round_.regency_code) == ("Kota Kediri", "35.71")


def test_a_round_for_a_whole_province_by_its_name(browser, login, make):
    batch = make.batch(received=10)
    login("admin")
    response = browser.submit("/rounds/new", _round_form(batch, province="jatim", regency=""))
    assert response.status_code == 302
    round_ = _round()
    assert (round_.province, round_.province_code, round_.regency_code) == (
        "Jawa Timur",
        "35",
        None,
    )


def test_the_warehouse_form_names_its_places_down_to_the_village(browser, login, make):
    login("admin")
    html = browser.get("/warehouses/new").get_data(as_text=True)
    for level in ("province", "regency", "district", "village"):
        assert f'data-place-level="{level}"' in _tag(html, level)
    data = {
        "code": "MLG-01",
        "name": "Gudang Malang",
        "province": "Jawa Timur",
        "regency": "Malang",
        "district": "",
        "village": "",
    }
    refused = browser.submit("/warehouses/new", data)
    assert refused.status_code == 422
    assert set(_picks(refused, "regency")) == {"35.07", "35.73"}
    assert browser.submit("/warehouses/new", {**data, "place_pick": "35.73"}).status_code == 302
    assert "Gudang Malang" in text_of(browser.get("/warehouses"))
    warehouse = _warehouse("MLG-01")
    assert (warehouse.regency, warehouse.regency_code, warehouse.village_code) == (
        "Kota Malang",
        "35.73",
        None,
    )
    # as places.js sends a village picked from the lists
    picked = {
        **data,
        "code": "TRN-01",
        "name": "Gudang Turen",
        "regency": "Kabupaten Malang",
        "district": "Turen",
        "village": "Sedayu",
        "village_code": "35.07.09.1008",
    }
    assert browser.submit("/warehouses/new", picked).status_code == 302
    assert _codes(_warehouse("TRN-01")) == SEDAYU


def _warehouse(code: str) -> Warehouse:
    db.session.expire_all()
    return db.session.scalars(select(Warehouse).where(Warehouse.code == code)).one()


def test_the_warehouse_form_gives_the_service_the_code_of_its_deepest_place(app):
    """What the warehouse services take: the names, and the code of the village or the
    regency picked from the lists (a suggestion picked without the script likewise)."""
    picked = MultiDict(
        {
            "name": "Gudang Turen",
            "province": "Jawa Timur",
            "regency": "Kabupaten Malang",
            "district": "Turen",
            "village": "Sedayu",
            "village_code": "35.07.09.1008",
            "regency_code": "",
        }
    )
    with app.test_request_context(method="POST"):
        values = WarehouseForm(formdata=picked, meta={"csrf": False}).values()
        assert (values["village_code"], values["regency_code"]) == ("35.07.09.1008", "")
        assert (values["district"], values["village"]) == ("Turen", "Sedayu")
        typed = MultiDict({**picked.to_dict(), "village_code": "", "regency": "Malang"})
        typed["place_pick"] = "35.73"
        typed["district"] = typed["village"] = ""
        form = WarehouseForm(formdata=typed, meta={"csrf": False})
        values = form.values()
        assert (values["regency"], values["regency_code"]) == ("Kota Malang", "35.73")
        assert values["village_code"] == ""
