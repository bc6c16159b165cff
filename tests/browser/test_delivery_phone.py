"""Delivery at the door on a phone (390x844, Indonesian): the officer types the short code,
sees the household, writes who took the parcel and confirms; the parcel is delivered in
the database, with the recipient and where the phone was, and the page says so."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Scan
from kitlog.services.parcel_codes import format_short_code
from tests.browser.helpers import (
    assert_no_sideways_scroll,
    html_lang,
    log_in,
    status_of,
    translated,
)
from tests.worlds import DoorWorld

pytestmark = pytest.mark.browser

# Turen, Kabupaten Malang
WHERE = {"latitude": -8.165123, "longitude": 112.708311}


def delivered_scans(parcel_id: int) -> list[Scan]:
    db.session.commit()  # a new transaction sees what the server committed
    return list(
        db.session.scalars(
            select(Scan).where(Scan.parcel_id == parcel_id, Scan.action == "deliver")
        )
    )


def test_a_delivery_confirmed_at_the_door(phone_page, make):
    world = DoorWorld(make)
    parcel, household = world.parcels[0], world.households[0]
    world.dispatch([parcel])
    officer = make.user("field")  # reads Indonesian
    page = phone_page
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation(WHERE)
    log_in(page, officer.email)

    page.goto("/deliver/")
    assert html_lang(page) == "id"
    expect(page.locator("[data-outbox-count]")).to_be_visible()  # the waiting count, always
    lookup = page.locator("form[data-lookup]")
    lookup.locator("input[name=code]").fill(parcel.short_code.lower())  # as typed, any case
    with page.expect_navigation():
        lookup.locator("button[type=submit]").click()

    code = format_short_code(parcel.short_code)
    panel = page.locator("[data-parcel]")
    expect(panel.locator("[data-field=code]")).to_have_text(code)
    expect(panel.locator("[data-field=household]")).to_have_text(household.code)
    expect(panel.locator("[data-field=head_name]")).to_have_text(household.head_name)
    expect(panel.locator("[data-field=members]")).to_have_text("4")
    expect(panel.locator("[data-field=village]")).to_contain_text("Sedayu")
    expect(panel.locator("[data-field=status]")).to_have_text(translated("Dispatched"))
    assert_no_sideways_scroll(page)

    form = page.locator("form[data-door-form=deliver]")
    form.locator("label.door-recipient-choice").last.click()  # someone else
    form.locator("input[name=deliver-recipient_name]").fill("Agus Santoso")
    form.locator("select[name=deliver-recipient_relation]").select_option("child")
    # the phone's position arrives on its own; the officer never waits for it
    expect(form.locator("input[name=deliver-lat]")).to_have_value("-8.165123")
    form.locator("button[type=submit]").click()

    result = page.locator("[data-result-list] li").first
    expect(result).to_have_attribute("data-state", "ok")
    expect(result).to_contain_text(code)
    expect(result).to_contain_text(translated("Delivered to %(name)s", name="Agus Santoso"))
    expect(panel.locator("[data-field=status]")).to_have_text(translated("Delivered"))
    outcome = panel.locator("[data-outcome]")
    expect(outcome).to_have_attribute("data-state", "ok")
    expect(outcome).to_contain_text(translated("Delivered to %(name)s", name="Agus Santoso"))
    expect(form).to_be_hidden()
    expect(page.locator("[data-outbox-count]")).to_have_attribute("data-count", "0")
    assert_no_sideways_scroll(page)

    assert status_of(parcel.id) == "delivered"
    (scan,) = delivered_scans(parcel.id)
    assert (scan.outcome, scan.recipient_name, scan.recipient_relation) == (
        "ok",
        "Agus Santoso",
        "child",
    )
    assert (round(scan.lat, 5), round(scan.lon, 5)) == (-8.16512, 112.70831)
    assert scan.scanned_at is not None  # the phone's time

    # the parcel's own page, opened from its QR code, shows who received it
    page.goto(f"/p/{parcel.token}")
    expect(page.locator(".parcel-history")).to_contain_text("Agus Santoso")
    assert_no_sideways_scroll(page)
