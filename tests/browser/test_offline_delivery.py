"""Delivery at the door with no signal: the officer saves the trip on the phone while
online and finds the parcel; the signal drops; the delivery waits on the phone, survives a
reload (the service worker's older copy of the page shows it waiting, not still on the
road), a label's /p/<token> and a typed code are found in the saved trip, and the delivery
is sent once the signal is back: delivered in the database exactly once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import Scan
from kitlog.services.parcel_codes import format_short_code
from tests.browser.helpers import (
    DELIVER_CACHED_JS,
    assert_no_sideways_scroll,
    log_in,
    status_of,
    translated,
)
from tests.worlds import DoorWorld

pytestmark = pytest.mark.browser


def deliveries(parcel_id: int) -> list[tuple[str, str]]:
    db.session.commit()  # a new transaction sees what the server committed
    return [
        (scan.outcome, scan.recipient_name)
        for scan in db.session.scalars(
            select(Scan).where(Scan.parcel_id == parcel_id, Scan.action == "deliver")
        )
    ]


def test_an_offline_delivery_waits_survives_a_reload_and_syncs_once_back_online(phone_page, make):
    world = DoorWorld(make)
    parcel, other = world.parcels[0], world.parcels[1]
    manifest = world.dispatch([parcel, other])
    officer = make.user("field")
    page = phone_page
    log_in(page, officer.email)
    page.goto("/deliver/")
    page.wait_for_function(DELIVER_CACHED_JS, polling=100)

    # Online: save the trip on the phone.
    trip = page.locator(f"[data-trip='{manifest.id}']")
    expect(trip).to_contain_text(manifest.number)
    trip.locator("[data-save-trip]").click()
    expect(trip.locator("[data-trip-status]")).to_contain_text("2")
    expect(trip.locator("[data-save-trip]")).to_have_text(translated("Update"))

    # Online: the officer finds the parcel (the server answers), then the signal drops.
    code = format_short_code(parcel.short_code)
    lookup = page.locator("form[data-lookup]")
    lookup.locator("input[name=code]").fill(code.lower())
    with page.expect_navigation():
        lookup.locator("button[type=submit]").click()
    panel = page.locator("[data-parcel]")
    expect(panel.locator("[data-field=head_name]")).to_have_text(world.households[0].head_name)
    context = page.context
    context.set_offline(True)

    form = page.locator("form[data-door-form=deliver]")
    form.locator("label.door-recipient-choice").last.click()  # someone else
    form.locator("input[name=deliver-recipient_name]").fill("Siti Rahayu")
    form.locator("select[name=deliver-recipient_relation]").select_option("sibling")
    form.locator("button[type=submit]").click()
    count = page.locator("[data-outbox-count]")
    expect(count).to_have_attribute("data-count", "1")
    result = page.locator("[data-result-list] li")
    expect(result).to_have_count(1)
    expect(result.first).to_have_attribute("data-state", "waiting")
    waiting = translated("Delivered (waiting to sync)")
    expect(panel.locator("[data-field=status]")).to_have_text(waiting)
    expect(panel.locator("[data-outcome]")).to_have_attribute("data-state", "waiting")
    assert status_of(parcel.id) == "dispatched"

    # Still offline: the service worker's copy of the page (rendered before the delivery,
    # when the parcel was still on the road) comes back with the delivery waiting.
    page.reload()
    expect(count).to_have_attribute("data-count", "1")
    expect(result).to_have_count(1)
    expect(result.first).to_have_attribute("data-state", "waiting")
    expect(result.first).to_contain_text(translated("Delivered to %(name)s", name="Siti Rahayu"))
    expect(panel.locator("[data-field=status]")).to_have_text(waiting)
    expect(form).to_be_hidden()

    # A label's QR code opened with no signal: the delivery page finds it in the saved trip.
    page.goto(f"/p/{other.token}")
    expect(panel.locator("[data-field=head_name]")).to_have_text(world.households[1].head_name)
    expect(panel.locator("[data-field=source]")).to_contain_text(manifest.number)
    expect(form).to_be_visible()
    assert_no_sideways_scroll(page)
    # and the code typed offline: found in the trip, delivered on this phone already
    lookup.locator("input[name=code]").fill(code.lower())
    lookup.locator("button[type=submit]").click()
    expect(panel.locator("[data-field=household]")).to_have_text(world.households[0].code)
    expect(panel.locator("[data-field=status]")).to_have_text(waiting)
    expect(form).to_be_hidden()
    assert deliveries(parcel.id) == []

    context.set_offline(False)  # the `online` event sends it
    expect(count).to_have_attribute("data-count", "0")
    expect(result.first).to_have_attribute("data-state", "ok")
    assert status_of(parcel.id) == "delivered"
    assert deliveries(parcel.id) == [("ok", "Siti Rahayu")]
    db.session.commit()
    assert (
        db.session.scalar(select(func.count()).select_from(Scan).where(Scan.action == "deliver"))
        == 1
    )
