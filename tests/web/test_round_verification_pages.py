"""The round form offers a round's verification and mode, each with a line saying what it
means; the round page shows them, and how many households still lack a card."""

from __future__ import annotations

from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Round
from kitlog.services import cards
from kitlog.services import distribution as dist
from tests.web.conftest import field_errors, text_of
from tests.worlds import ScanWorld


def _round_form(batch, **values) -> dict:
    form = {
        "name": "KOICA kits, East Java",
        "batches": [batch.id],
        "warehouse": batch.warehouse_id,
        "entitlement": "1",
        "members_per_kit": "",
        "province": "",
        "regency": "",
        "start_date": "",
        "end_date": "",
    }
    form.update(values)
    return form


def test_the_form_explains_each_verification_and_mode_and_a_round_keeps_the_choice(
    browser, login, make
):
    batch = make.batch(received=20)
    login("admin")
    page = text_of(browser.get("/rounds/new"))
    assert "What a delivery needs" in page
    assert "Scanning the parcel's label is enough to deliver it." in page
    assert "a household without a card cannot receive its parcel" in page
    assert "Field officers take the parcels to each household's door." in page
    assert "Households come to collect their parcels at the round's distribution sites." in page
    response = browser.submit("/rounds/new", _round_form(batch, verification="card", mode="site"))
    assert response.status_code == 302
    round_ = db.session.scalars(select(Round)).one()
    assert (round_.verification, round_.mode) == ("card", "site")
    shown = text_of(browser.get(f"/rounds/{round_.id}"))
    assert "What a delivery needs The parcel's label and the household's card" in shown
    assert "Where the parcels are handed over At distribution sites" in shown


def test_a_round_left_at_its_defaults_needs_the_label_only_at_the_door(browser, login, make):
    batch = make.batch(received=20)
    login("admin")
    assert browser.submit("/rounds/new", _round_form(batch)).status_code == 302
    round_ = db.session.scalars(select(Round)).one()
    shown = text_of(browser.get(f"/rounds/{round_.id}"))
    assert "What a delivery needs The parcel's label only" in shown
    assert "Where the parcels are handed over Door to door" in shown


def test_an_unknown_choice_is_refused_on_its_field(browser, login, make):
    batch = make.batch(received=20)
    login("admin")
    response = browser.submit("/rounds/new", _round_form(batch, verification="face", mode="post"))
    assert response.status_code == 422
    assert field_errors(response, "verification") == "Choose one from the list."
    assert field_errors(response, "mode") == "Choose one from the list."
    assert db.session.scalars(select(Round)).all() == []


def test_the_form_speaks_indonesian(browser, login, make):
    make.batch(received=20)
    login("admin", language="id")
    page = text_of(browser.get("/rounds/new"))
    assert "Label paket dan kartu keluarga penerima" in page
    assert "Di titik distribusi" in page


def test_an_open_round_turned_to_cards_says_how_many_households_have_no_card(browser, login, make):
    w = ScanWorld(make, households=3)
    cards.issue_card(db.session, w.parcels[0].household, user=w.admin)
    db.session.commit()
    login("admin")
    assert "no card yet" not in text_of(browser.get(f"/rounds/{w.round.id}"))
    form = browser.get(f"/rounds/{w.round.id}/edit")
    assert "What a delivery needs" in text_of(form)
    response = browser.submit(
        f"/rounds/{w.round.id}/edit",
        {"name": "Round 1", "verification": "card", "mode": "door", "proof": "none"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert w.round.verification == "card" and w.round.status == "open"
    page = text_of(browser.get(f"/rounds/{w.round.id}"))
    assert (
        "2 households still waiting for their parcel have no card yet: their deliveries"
        " are refused until a card is issued." in page
    )
    for parcel in w.parcels[1:]:
        cards.issue_card(db.session, parcel.household, user=w.admin)
    db.session.commit()
    assert "no card yet" not in text_of(browser.get(f"/rounds/{w.round.id}"))


def test_a_round_without_card_verification_never_counts_cards(browser, login, make):
    w = ScanWorld(make, households=2)
    dist.update_round(db.session, w.round, mode="site", user=w.admin)
    db.session.commit()
    login("admin")
    page = text_of(browser.get(f"/rounds/{w.round.id}"))
    assert "no card yet" not in page
    assert "At distribution sites" in page
