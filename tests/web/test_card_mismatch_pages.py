"""The follow-ups page lists parcels whose household card did not match at sync, whatever
their status, marked so with when it happened; an officer or an admin resolves one with a
short note; the administrator's dashboard counts them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import AuditEvent
from kitlog.services.parcel_codes import format_short_code
from tests.web.conftest import csrf_token, field_errors, text_of
from tests.worlds import T0, ScanWorld


@pytest.fixture
def w(make) -> ScanWorld:
    """Parcel 0 delivered offline and flagged at sync; the others unflagged."""
    world = ScanWorld(make)
    world.on_the_road(world.parcels[:1])
    world.scan(world.parcels[0], "deliver")
    world.parcels[0].flag = "card_mismatch"
    world.parcels[0].flagged_at = T0
    db.session.commit()
    return world


def _resolve(browser, parcel, note: str):
    token = csrf_token(browser.get("/follow-ups/").get_data(as_text=True))
    prefix = f"flag-{parcel.id}-"
    return browser.client.post(
        f"/follow-ups/{parcel.id}/resolve",
        data={f"{prefix}csrf_token": token, f"{prefix}note": note},
    )


@pytest.mark.parametrize("role", ["field", "admin"])
def test_a_card_mismatch_is_listed_with_when_it_was_flagged(w, login, browser, role):
    login(role)
    page = text_of(browser.get("/follow-ups/"))
    code = format_short_code(w.parcels[0].short_code)
    assert "Card did not match at sync (1) " in page
    assert f"{code} Card did not match at sync Delivered" in page
    assert "3 Dec 2026, 14:02 WIB" in page  # T0 on Surabaya's clock
    assert "Mark as resolved" in page
    assert "No parcel is waiting for a follow-up." not in page


def test_the_warehouse_sees_it_but_has_no_button(w, login, browser):
    login("warehouse")
    page = text_of(browser.get("/follow-ups/"))
    assert "Card did not match at sync (1)" in page
    assert "Mark as resolved" not in page
    response = _resolve(browser, w.parcels[0], "checked")
    assert response.status_code == 403


def test_an_officer_resolves_it_with_a_note(w, login, browser):
    login("field")
    response = _resolve(browser, w.parcels[0], "The head confirmed her neighbour took it")
    assert response.status_code == 302
    page = text_of(browser.get(response.headers["Location"]))
    code = format_short_code(w.parcels[0].short_code)
    assert f"The card mismatch of parcel {code} is resolved." in page
    assert "Card did not match at sync" not in page
    db.session.expire_all()
    assert (w.parcels[0].flag, w.parcels[0].flagged_at) == (None, None)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "parcel.flag_resolved")
        )
        == 1
    )


def test_a_resolution_without_a_note_is_refused_on_its_field(w, login, browser):
    login("admin")
    response = _resolve(browser, w.parcels[0], "  ")
    assert response.status_code == 422
    assert field_errors(response, f"flag-{w.parcels[0].id}-note") == "This field is required."
    db.session.expire_all()
    assert w.parcels[0].flag == "card_mismatch"


def test_a_resolution_without_csrf_is_refused(w, login, browser):
    login("admin")
    response = browser.client.post(
        f"/follow-ups/{w.parcels[0].id}/resolve", data={f"flag-{w.parcels[0].id}-note": "x"}
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert w.parcels[0].flag == "card_mismatch"


def test_the_page_speaks_indonesian(w, login, browser):
    login("field", language="id")
    page = text_of(browser.get("/follow-ups/"))
    assert "Kartu tidak cocok saat sinkronisasi" in page
    assert "Tandai selesai" in page


def test_the_dashboard_counts_card_mismatches_and_links_to_them(w, login, client):
    login("admin")
    html = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'data-day="card_mismatches">1<', html)
    assert "/follow-ups/#card-mismatches-heading" in html
    assert client.get("/dashboard/day.json").get_json()["totals"]["card_mismatches"] == 1
