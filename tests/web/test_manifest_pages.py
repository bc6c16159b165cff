"""Manifests through the pages: the list (void ones struck), a new manifest, its page with
the parcels on board, adding by area, Remove, Dispatch, Close, Cancel and the PDF; who
may see and do what."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Manifest, MovementKind, ParcelStatus, StockMovement
from kitlog.services import stock
from kitlog.services.parcel_codes import format_short_code
from tests.web.conftest import csrf_token, field_errors, text_of
from tests.worlds import ScanWorld


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


def post_from(browser, page_path: str, path: str, data: dict | None = None):
    """Submit a form of the page at page_path to path, with that page's CSRF token."""
    token = csrf_token(browser.get(page_path).get_data(as_text=True))
    return browser.client.post(path, data={**(data or {}), "csrf_token": token})


def test_parcels_are_added_by_round_and_village_from_the_manifest_page(w, login, browser):
    for parcel in w.parcels[:3]:
        w.scan(parcel, "pack")
    manifest = w.manifest()
    login("warehouse")
    page = browser.get(f"/manifests/{manifest.id}")
    html = page.get_data(as_text=True)
    assert "Add parcels by area" in text_of(page) and '<datalist id="waiting-villages">' in html
    assert f'<option value="{w.parcels[1].household.village}">' in html
    path = f"/manifests/{manifest.id}"
    response = post_from(
        browser,
        path,
        f"{path}/parcels",
        {"round": str(w.round.id), "district": "", "village": w.parcels[1].household.village},
    )
    assert "1 parcel loaded onto SBY-01/2026/0001." in text_of(follow(browser, response))
    assert w.parcels[1].manifest_id == manifest.id and w.parcels[0].manifest_id is None
    refused = post_from(
        browser, path, f"{path}/parcels", {"round": str(w.round.id), "village": "Nowhere"}
    )
    assert refused.status_code == 422
    assert "No packed parcel of round Round 1 in Nowhere" in field_errors(refused, "district")


def test_a_village_is_added_by_its_official_code_from_the_manifest_page(w, login, browser):
    for parcel in w.parcels[:2]:
        w.scan(parcel, "pack")
    manifest = w.manifest()
    login("warehouse")
    path = f"/manifests/{manifest.id}"
    html = browser.get(path).get_data(as_text=True)
    assert '<option value="Turen">Turen, Kabupaten Malang</option>' in html  # the district
    assert '<option value="Sedayu">Sedayu, Turen</option>' in html
    refused = post_from(
        browser, path, f"{path}/parcels", {"round": str(w.round.id), "village": "35.07.09"}
    )
    assert refused.status_code == 422
    assert "35.07.09 is not the official code of a village." in field_errors(refused, "village")
    response = post_from(
        browser, path, f"{path}/parcels", {"round": str(w.round.id), "village": "3507091008"}
    )
    assert "1 parcel loaded onto SBY-01/2026/0001." in text_of(follow(browser, response))
    assert w.parcels[0].manifest_id == manifest.id and w.parcels[1].manifest_id is None


def test_a_parcel_is_removed_from_an_open_manifest_by_its_button(w, login, browser):
    first, second = w.parcels[:2]
    w.scan(first, "pack")
    w.scan(second, "pack")
    manifest = w.manifest([first, second])
    login("warehouse")
    path = f"/manifests/{manifest.id}"
    html = browser.get(path).get_data(as_text=True)
    assert html.count("/remove") == 2
    response = post_from(browser, path, f"{path}/parcels/{first.id}/remove")
    text = text_of(follow(browser, response))
    assert f"Parcel {format_short_code(first.short_code)} is off manifest" in text
    assert first.manifest_id is None and first.status == ParcelStatus.PACKED
    again = follow(browser, post_from(browser, path, f"{path}/parcels/{first.id}/remove"))
    assert "is not on manifest" in text_of(again)


def test_closing_from_its_page_lists_what_comes_back_and_needs_a_reason(w, login, browser):
    delivered, failed, silent, _ = w.parcels
    manifest = w.on_the_road([delivered, failed, silent])
    w.scan(delivered, "deliver")
    w.scan(failed, "fail", reason="moved")
    login("warehouse")
    page = browser.get(f"/manifests/{manifest.id}")
    assert "Close the manifest" in text_of(page)
    close_path = f"/manifests/{manifest.id}/close"
    form = browser.get(close_path)
    text = text_of(form)
    assert "Failed deliveries: back to stock (1)" in text
    assert "Never scanned since dispatch (1)" in text
    assert format_short_code(silent.short_code) in text
    refused = browser.submit(close_path, {"reason": ""})
    assert refused.status_code == 422
    assert "A discrepancy needs a reason" in field_errors(refused, "reason")
    assert manifest.status == "dispatched"
    done = follow(browser, browser.submit(close_path, {"reason": "List stayed in the truck"}))
    text = text_of(done)
    assert f"Manifest {manifest.number} is closed." in text
    assert "Reason: List stayed in the truck" in text
    assert "Delivered on this trip" in text and "Returned from this trip" in text
    assert stock.reconciliation_problems(db.session) == []


def test_cancelling_from_the_page_voids_the_manifest_in_the_list(w, login, browser):
    w.scan(w.parcels[0], "pack")
    manifest = w.manifest([w.parcels[0]])
    login("warehouse")
    path = f"/manifests/{manifest.id}"
    refused = post_from(browser, path, f"{path}/cancel", {"reason": ""})
    assert refused.status_code == 422 and field_errors(refused, "reason")
    response = post_from(browser, path, f"{path}/cancel", {"reason": "Truck broke down"})
    text = text_of(follow(browser, response))
    assert f"Manifest {manifest.number} is cancelled (void)." in text
    assert "Void: this manifest was cancelled before it left." in text
    assert "Reason: Truck broke down" in text
    listing = browser.get("/manifests/").get_data(as_text=True)
    assert f"<s>{manifest.number}</s>" in listing and "void" in listing
    assert w.parcels[0].manifest_id is None


def test_the_manifest_page_links_its_pdf(w, login, browser):
    manifest = w.on_the_road([w.parcels[0]])
    login("field")
    html = browser.get(f"/manifests/{manifest.id}").get_data(as_text=True)
    assert f'href="/manifests/{manifest.id}.pdf"' in html
    response = browser.get(f"/manifests/{manifest.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"


@pytest.mark.parametrize(("role", "status"), [("field", 403), ("donor", 403)])
def test_only_warehouse_and_admin_change_a_manifest_from_the_pages(w, login, browser, role, status):
    w.scan(w.parcels[0], "pack")
    opened = w.manifest([w.parcels[0]])
    away = w.on_the_road([w.parcels[1]])
    login(role)
    token = csrf_token(browser.get("/profile").get_data(as_text=True))
    posts = [
        (f"/manifests/{opened.id}/parcels", {"round": str(w.round.id), "district": "Turen"}),
        (f"/manifests/{opened.id}/parcels/{w.parcels[0].id}/remove", {}),
        (f"/manifests/{opened.id}/cancel", {"reason": "x"}),
        (f"/manifests/{away.id}/close", {"reason": "x"}),
    ]
    for path, data in posts:
        assert browser.client.post(path, data={**data, "csrf_token": token}).status_code == status
    assert browser.get(f"/manifests/{away.id}.pdf").status_code == (200 if role == "field" else 403)
    assert (opened.status, away.status) == ("open", "dispatched")


def test_warehouse_and_admin_see_the_write_controls(w, login, browser):
    w.scan(w.parcels[0], "pack")
    manifest = w.manifest([w.parcels[0]])
    login("admin")
    text = text_of(browser.get(f"/manifests/{manifest.id}"))
    assert "Remove" in text and "Cancel this manifest" in text and "Add parcels by area" in text
