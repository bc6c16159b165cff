"""A storekeeper packs parcels at the scan station on a phone, with a keyboard-wedge
scanner: it types the code and presses Enter; the page answers green or red at once, the
input is empty and ready for the next scan, and the parcel is packed in the database."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kitlog.extensions import db
from kitlog.services import distribution, manifests
from kitlog.services.parcel_codes import format_short_code
from tests.browser.helpers import assert_no_sideways_scroll, log_in, status_of, translated

pytestmark = pytest.mark.browser


def test_a_wedge_scan_packs_the_parcel_and_a_second_scan_is_refused(phone_page, make, app):
    first, second = make.allocated_parcels(2)
    storekeeper = make.user("warehouse")
    page = phone_page
    log_in(page, storekeeper.email)
    page.goto("/scan/")
    code_input = page.locator("input[name=code]")
    expect(code_input).to_be_focused()
    expect(page.locator("[data-outbox-count]")).to_have_attribute("data-count", "0")

    # A wedge scanner types the short code as printed and presses Enter.
    code_input.press_sequentially(format_short_code(first.short_code))
    code_input.press("Enter")

    panel = page.locator("[data-feedback]")
    expect(panel).to_have_attribute("data-outcome", "ok")
    expect(panel).to_have_class("station-feedback feedback-ok")
    expect(panel).to_contain_text(format_short_code(first.short_code))
    expect(code_input).to_have_value("")
    expect(code_input).to_be_focused()
    assert status_of(first.id) == "packed"
    expect(page.locator("[data-accepted-count]")).to_have_text("1")
    recent = page.locator("[data-recent] li")
    expect(recent).to_have_count(1)
    expect(recent.first).to_have_attribute("data-state", "ok")
    expect(recent.first).to_contain_text(format_short_code(first.short_code))

    # The whole QR URL works the same way (a scanner reading the label's QR code).
    code_input.press_sequentially(f"{app.config['BASE_URL']}/p/{second.token}")
    code_input.press("Enter")
    expect(recent).to_have_count(2)
    expect(recent.first).to_have_attribute("data-state", "ok")
    expect(page.locator("[data-accepted-count]")).to_have_text("2")
    assert status_of(second.id) == "packed"

    # The first parcel again, with a new scan: refused, saying when and by whom.
    code_input.press_sequentially(first.short_code.lower())
    code_input.press("Enter")
    expect(panel).to_have_attribute("data-outcome", "refused")
    expect(panel).to_have_class("station-feedback feedback-bad")
    with app.test_request_context():
        already = translated("Already packed %(on_by)s.", on_by="").rstrip(" .")
    expect(panel).to_contain_text(already)
    expect(panel).to_contain_text(storekeeper.name)
    expect(code_input).to_be_focused()
    expect(recent).to_have_count(3)
    expect(recent.first).to_have_attribute("data-state", "refused")
    expect(page.locator("[data-accepted-count]")).to_have_text("2")
    assert status_of(first.id) == "packed"

    # The last scans and the count come from the device's outbox: they survive a reload.
    page.reload()
    expect(recent).to_have_count(3)
    expect(page.locator("[data-accepted-count]")).to_have_text("2")
    expect(page.locator("[data-outbox-count]")).to_have_attribute("data-count", "0")
    assert_no_sideways_scroll(page)


def test_the_station_works_on_a_desktop_too(desktop_page, make):
    (parcel,) = make.allocated_parcels(1)
    storekeeper = make.user("warehouse")
    page = desktop_page
    log_in(page, storekeeper.email)
    page.goto("/scan/?mode=pack")
    page.locator("input[name=code]").fill(parcel.short_code)
    page.locator("input[name=code]").press("Enter")
    expect(page.locator("[data-feedback]")).to_have_attribute("data-outcome", "ok")
    assert status_of(parcel.id) == "packed"
    assert_no_sideways_scroll(page)


def test_a_photo_of_the_label_is_decoded_by_kitlogs_own_wasm_and_packs_the_parcel(
    phone_page, make, app, tmp_path
):
    import qrcode

    (parcel,) = make.allocated_parcels(1)
    photo = tmp_path / "label.png"
    qrcode.make(f"{app.config['BASE_URL']}/p/{parcel.token}").save(photo)
    storekeeper = make.user("warehouse")
    page = phone_page
    wasm = []
    page.on("request", lambda r: wasm.append(r.url) if r.url.endswith(".wasm") else None)
    log_in(page, storekeeper.email)
    page.goto("/scan/")
    expect(page.locator("[data-camera]")).to_be_visible()
    page.locator("[data-photo]").set_input_files(str(photo))
    expect(page.locator("[data-feedback]")).to_have_attribute("data-outcome", "ok")
    assert status_of(parcel.id) == "packed"
    # The decoder came from kitlog (the new_page fixture fails any outside request).
    assert wasm and all("/static/vendor/zxing-wasm/zxing_reader.wasm" in url for url in wasm)


def test_a_pack_scan_of_a_draft_rounds_parcel_is_refused_until_the_round_opens(
    phone_page, make, app
):
    (parcel,) = make.allocated_parcels(1, opened=False)
    storekeeper = make.user("warehouse")
    page = phone_page
    log_in(page, storekeeper.email)
    page.goto("/scan/")
    code_input = page.locator("input[name=code]")
    code_input.press_sequentially(format_short_code(parcel.short_code))
    code_input.press("Enter")

    panel = page.locator("[data-feedback]")
    expect(panel).to_have_attribute("data-outcome", "refused")
    with app.test_request_context():
        not_open = translated(
            "Its round %(name)s is not open yet: the administrator opens it to release its"
            " parcels to the warehouse.",
            name=parcel.round.name,
        )
    expect(panel).to_contain_text(not_open)
    expect(panel).to_be_in_viewport()
    expect(code_input).to_be_focused()
    assert_no_sideways_scroll(page)
    assert status_of(parcel.id) == "allocated"

    distribution.open_round(db.session, parcel.round, user=None)
    db.session.commit()
    code_input.press_sequentially(format_short_code(parcel.short_code))
    code_input.press("Enter")
    expect(page.locator("[data-recent] li").first).to_have_attribute("data-state", "ok")
    assert status_of(parcel.id) == "packed"


def test_a_refused_load_on_a_phone_shows_its_reason_without_scrolling(phone_page, make, app):
    """Load mode adds the manifest to the form; the refusal and its reason still show on the
    first screen of a 390 × 844 phone, next to the code field, in Indonesian."""
    (unpacked,) = make.allocated_parcels(1)
    storekeeper = make.user("warehouse")
    trip = manifests.create_manifest(
        db.session,
        warehouse=unpacked.round.warehouse,
        destination="Desa Sedayu",
        vehicle="L 1234 AB",
        driver_name="Slamet",
        user=storekeeper,
    )
    db.session.commit()
    page = phone_page
    log_in(page, storekeeper.email)
    page.goto(f"/scan/?mode=load&manifest={trip.id}")
    code_input = page.locator("input[name=code]")
    code_input.press_sequentially(unpacked.short_code)
    code_input.press("Enter")
    panel = page.locator("[data-feedback]")
    expect(panel).to_have_attribute("data-outcome", "refused")
    with app.test_request_context():
        reason = translated(
            "Not packed yet (allocated %(on_by)s): pack it before loading it.", on_by=""
        )
    expect(panel).to_contain_text(reason.split("(")[0].strip())
    height = page.viewport_size["height"]
    for part in (page.locator("[data-feedback-title]"), page.locator("[data-feedback-detail]")):
        box = part.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, box
    expect(code_input).to_be_focused()
    code_box = code_input.bounding_box()
    assert code_box is not None and 0 <= code_box["y"] <= height
    assert_no_sideways_scroll(page)
