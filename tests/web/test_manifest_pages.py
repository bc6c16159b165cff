"""Manifests through the pages: the list, a new manifest, its page with the parcels on
board, and the Dispatch button; who may see and do what."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Manifest, MovementKind, StockMovement
from kitlog.services.parcel_codes import format_short_code
from tests.services.test_scans import ScanWorld
from tests.web.conftest import csrf_token, field_errors, text_of


@pytest.fixture
def w(make) -> ScanWorld:
    return ScanWorld(make)


def follow(browser, response):
    """The page a form's redirect leads to (with its flashed message)."""
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    page = browser.get(response.headers["Location"])
    assert page.status_code == 200
    return page


FORM = {
    "destination": "Desa Sedayu, Kec. Turen",
    "vehicle": "L 1234 AB",
    "driver_name": "Joko Susilo",
    "driver_phone": "0812 3456 7890",
    "planned_date": "2026-12-04",
    "parcels": "",
    "note": "",
}


def test_a_manifest_is_opened_from_the_form_with_its_packed_parcels(w, login, browser):
    first, second = w.parcels[:2]
    w.scan(first, "pack")
    w.scan(second, "pack")
    login("warehouse")
    codes = f"{format_short_code(first.short_code)}\n{second.short_code.lower()}\n"
    response = browser.submit(
        "/manifests/new",
        {**FORM, "warehouse": str(w.warehouse.id), "parcels": codes},
    )
    response = follow(browser, response)
    page = text_of(response)
    manifest = db.session.scalars(select(Manifest)).one()
    assert f"Manifest {manifest.number} is open for loading." in page
    assert format_short_code(first.short_code) in page
    assert format_short_code(second.short_code) in page
    assert "Dispatch" in page
    assert f"/scan/?mode=load&amp;manifest={manifest.id}" in response.get_data(as_text=True)


def test_the_form_shows_each_refusal_next_to_its_field(w, login, browser):
    allocated = w.parcels[0]
    login("warehouse")
    response = browser.submit(
        "/manifests/new",
        {**FORM, "warehouse": str(w.warehouse.id), "driver_phone": "555"},
    )
    assert response.status_code == 422
    assert "phone" in field_errors(response, "driver_phone").lower()
    response = browser.submit(
        "/manifests/new",
        {**FORM, "warehouse": str(w.warehouse.id), "parcels": allocated.short_code},
    )
    assert response.status_code == 422
    assert "Not packed yet" in text_of(response)
    assert db.session.scalars(select(Manifest)).first() is None


def test_dispatching_from_the_manifest_page_issues_the_stock(w, login, browser):
    parcel = w.parcels[0]
    w.scan(parcel, "pack")
    manifest = w.manifest([parcel])
    login("warehouse")
    page = browser.get(f"/manifests/{manifest.id}")
    assert 'data-confirm="Dispatch this manifest with 1 parcel?' in page.get_data(as_text=True)
    response = browser.client.post(
        f"/manifests/{manifest.id}/dispatch",
        data={"csrf_token": csrf_token(page.get_data(as_text=True))},
    )
    text = text_of(follow(browser, response))
    assert f"Manifest {manifest.number} is dispatched." in text
    movement = db.session.scalars(
        select(StockMovement).where(StockMovement.kind == MovementKind.DISPATCH)
    ).one()
    assert movement.manifest_id == manifest.id
    again = browser.get(f"/manifests/{manifest.id}").get_data(as_text=True)
    assert "/dispatch" not in again  # no more Dispatch button


def test_an_empty_manifest_is_not_dispatched_and_says_why(w, login, browser):
    manifest = w.manifest()
    login("warehouse")
    page = browser.get(f"/manifests/{manifest.id}").get_data(as_text=True)
    response = browser.client.post(
        f"/manifests/{manifest.id}/dispatch",
        data={"csrf_token": csrf_token(page)},
    )
    response = follow(browser, response)
    assert "has no parcels: load some first." in text_of(response)


def test_the_list_shows_each_manifest_with_its_status_and_counts(w, login, browser):
    dispatched = w.on_the_road(w.parcels[:2])
    w.manifest(destination="Desa Kemiri")
    login("field")
    page = text_of(browser.get("/manifests/"))
    assert dispatched.number in page and "SBY-01/2026/0002" in page
    assert "Desa Kemiri" in page and "Dispatched" in page and "Open" in page
    filtered = text_of(browser.get("/manifests/?status=open"))
    assert "SBY-01/2026/0002" in filtered and dispatched.number not in filtered
    assert "New manifest" not in page  # field officers read, they do not write


def test_field_officers_see_names_and_warehouse_staff_do_not(w, login, browser, client, auth):
    parcel = w.parcels[0]
    manifest = w.on_the_road([parcel])
    login("field")
    assert parcel.household.head_name in text_of(browser.get(f"/manifests/{manifest.id}"))
    auth.logout()
    login("warehouse")
    assert parcel.household.head_name not in text_of(browser.get(f"/manifests/{manifest.id}"))


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("donor", "/manifests/", 403),
        ("donor", "/manifests/new", 403),
        ("field", "/manifests/new", 403),
        ("field", "/manifests/", 200),
        ("warehouse", "/manifests/new", 200),
        ("admin", "/manifests/new", 200),
    ],
)
def test_who_may_open_the_manifest_pages(w, login, browser, role, path, status):
    login(role)
    assert browser.get(path).status_code == status


def test_a_field_officer_may_not_dispatch(w, login, browser):
    manifest = w.manifest()
    login("field")
    page = browser.get(f"/manifests/{manifest.id}")
    assert page.status_code == 200
    response = browser.client.post(
        f"/manifests/{manifest.id}/dispatch",
        data={"csrf_token": csrf_token(page.get_data(as_text=True))},
    )
    assert response.status_code == 403
