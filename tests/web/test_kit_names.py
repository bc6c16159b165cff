"""Kit types and their contents are named in English and in Indonesian: a page shows the
names in its own language, the English ones where no Indonesian name is given."""

from __future__ import annotations

from kitlog.extensions import db
from kitlog.models import KitType
from tests.web.conftest import text_of


def _bilingual_kit_data(**extra):
    data = {
        "code": "HK-FAM",
        "name": "Family hygiene kit",
        "name_id": "Paket kebersihan keluarga",
        "weight_kg": "6,5",
        "volume_m3": "0.045",
        "contents-0-quantity": "10",
        "contents-0-unit": "pcs",
        "contents-0-item": "Cloth face mask",
        "contents-0-item_id": "Masker kain",
        "contents-1-quantity": "4",
        "contents-1-unit": "bars",
        "contents-1-item": "Bar soap",
        # no Indonesian name for the soap: the English one stands in
    }
    data.update(extra)
    return data


def test_the_form_keeps_both_names_and_each_language_reads_its_own(browser, login, auth):
    login("admin")
    assert browser.submit("/kit-types/new", _bilingual_kit_data()).status_code == 302
    kit = db.session.query(KitType).filter_by(code="HK-FAM").one()
    assert kit.name_id == "Paket kebersihan keluarga"
    assert [(c.item, c.item_id) for c in kit.contents] == [
        ("Cloth face mask", "Masker kain"),
        ("Bar soap", ""),
    ]

    english = text_of(browser.get("/kit-types"))
    assert "Family hygiene kit" in english and "Cloth face mask" in english
    assert "Paket kebersihan keluarga" not in english and "Masker kain" not in english

    auth.logout()
    login("admin", language="id")
    indonesian = text_of(browser.get("/kit-types"))
    assert "Paket kebersihan keluarga" in indonesian and "Masker kain" in indonesian
    assert "Family hygiene kit" not in indonesian and "Cloth face mask" not in indonesian
    assert "Bar soap" in indonesian  # no Indonesian name: the English one


def test_the_edit_form_shows_and_corrects_the_indonesian_names(browser, login, auth):
    login("admin")
    browser.submit("/kit-types/new", _bilingual_kit_data())
    form = browser.get("/kit-types/HK-FAM/edit").get_data(as_text=True)
    assert 'value="Paket kebersihan keluarga"' in form and 'value="Masker kain"' in form

    changed = {k: v for k, v in _bilingual_kit_data(name_id="").items() if k != "code"}
    changed["contents-1-item_id"] = "Sabun batang"
    assert browser.submit("/kit-types/HK-FAM/edit", changed).status_code == 302
    db.session.expire_all()
    kit = db.session.query(KitType).filter_by(code="HK-FAM").one()
    assert kit.name_id == ""
    assert [c.item_id for c in kit.contents] == ["Masker kain", "Sabun batang"]

    auth.logout()
    login("admin", language="id")
    indonesian = text_of(browser.get("/kit-types"))
    assert "Family hygiene kit" in indonesian  # its Indonesian name was emptied
    assert "Sabun batang" in indonesian


def test_an_indonesian_item_name_alone_is_a_half_filled_line(browser, login):
    login("admin")
    response = browser.submit(
        "/kit-types/new", _bilingual_kit_data(**{"contents-5-item_id": "Ember"})
    )
    assert response.status_code == 422
    assert "Fill in the item, its quantity and its unit." in text_of(response)
    assert db.session.query(KitType).count() == 0
