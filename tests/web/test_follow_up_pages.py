"""The follow-ups page: failed parcels still owed with each attempt's reason and time, for
field officers and admins with the household's head and phone, for the warehouse without
them; putting the chosen ones on the next manifest in one action (all or none, each
refusal listed); the dashboard's figure links to it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kitlog.extensions import db
from kitlog.models import ParcelStatus
from kitlog.services.parcel_codes import format_short_code
from tests.web.conftest import text_of
from tests.worlds import T0, ScanWorld


@pytest.fixture
def w(make) -> ScanWorld:
    world = ScanWorld(make)
    nobody, moved, delivered, _ = world.parcels
    world.on_the_road(world.parcels[:3])
    world.scan(nobody, "fail", reason="nobody_home", scanned_at=T0 - timedelta(hours=1))
    world.scan(moved, "fail", reason="moved", scanned_at=T0)
    world.scan(delivered, "deliver", scanned_at=T0)
    return world


@pytest.mark.parametrize("role", ["field", "admin"])
def test_officers_and_admins_see_each_follow_up_with_its_household(w, login, browser, role):
    login(role)
    response = browser.get("/follow-ups/")
    assert response.status_code == 200
    page = text_of(response)
    nobody, moved, delivered, _ = w.parcels
    assert format_short_code(nobody.short_code) in page
    assert format_short_code(moved.short_code) in page
    assert format_short_code(delivered.short_code) not in page
    assert "Nobody home" in page and "Moved away" in page
    assert page.count(" WIB") >= 2  # each attempt's time, on the warehouse's clock
    assert nobody.household.head_name in page
    assert f'href="tel:{nobody.household.phone}"' in response.get_data(as_text=True)


def test_the_warehouse_sees_the_list_without_names_or_phones(w, login, browser):
    login("warehouse")
    response = browser.get("/follow-ups/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for parcel in w.parcels[:2]:
        assert format_short_code(parcel.short_code) in html
        assert parcel.household.head_name not in html
        assert parcel.household.phone not in html
    assert "tel:" not in html


def test_a_donor_may_not_open_the_page(w, login, browser):
    login("donor")
    assert browser.get("/follow-ups/").status_code == 403


def test_the_page_filters_by_warehouse(w, make, login, browser):
    other = make.warehouse("MLG-01", province="Jawa Timur", regency="Kota Malang")
    login("admin")
    page = text_of(browser.get(f"/follow-ups/?warehouse={other.id}"))
    assert "No follow-up matches these filters." in page
    page = text_of(browser.get(f"/follow-ups/?round={w.round.id}"))
    assert format_short_code(w.parcels[0].short_code) in page


def test_the_chosen_follow_ups_go_on_the_next_manifest_in_one_action(w, login, browser):
    nobody, moved, *_ = w.parcels
    nxt = w.manifest()
    login("warehouse")
    response = browser.submit(
        "/follow-ups/load",
        {"manifest": str(nxt.id), "parcels": [str(nobody.id), str(moved.id)]},
        page="/follow-ups/",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    assert response.headers["Location"].endswith(f"/manifests/{nxt.id}")
    page = text_of(browser.get(response.headers["Location"]))
    assert f"2 follow-ups are on manifest {nxt.number}." in page
    for parcel in (nobody, moved):
        db.session.refresh(parcel)
        assert (parcel.status, parcel.manifest_id) == (ParcelStatus.PACKED, nxt.id)


def test_a_refused_parcel_keeps_every_parcel_and_is_listed(w, make, login, browser):
    nobody, moved, *_ = w.parcels
    w.scan(moved, "deliver", scanned_at=T0 + timedelta(minutes=5))
    nxt = w.manifest()
    login("warehouse")
    response = browser.submit(
        "/follow-ups/load",
        {"manifest": str(nxt.id), "parcels": [str(nobody.id), str(moved.id)]},
        page="/follow-ups/",
    )
    assert response.status_code == 409
    page = text_of(response)
    assert f"No follow-up was put on manifest {nxt.number}" in page
    assert f"{format_short_code(moved.short_code)}: Already delivered" in page
    db.session.refresh(nobody)
    assert (nobody.status, nobody.manifest_id != nxt.id) == (ParcelStatus.FAILED, True)


def test_a_field_officer_sees_no_loading_form_and_may_not_post_it(w, login, browser):
    nxt = w.manifest()
    login("field")
    html = browser.get("/follow-ups/").get_data(as_text=True)
    assert 'action="/follow-ups/load' not in html
    response = browser.submit(
        "/follow-ups/load",
        {"manifest": str(nxt.id), "parcels": [str(w.parcels[0].id)]},
        page="/follow-ups/",
    )
    assert response.status_code == 403


def test_the_admin_dashboard_links_the_follow_ups_waiting(w, login, browser):
    login("admin")
    html = browser.get("/dashboard").get_data(as_text=True)
    assert 'href="/follow-ups/"' in html
    assert f'href="/follow-ups/?round={w.round.id}"' in html
