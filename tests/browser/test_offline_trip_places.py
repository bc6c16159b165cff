"""A trip saved on the phone keeps the official places of its households: with no signal
the delivery page still lists the trip's villages, under their districts, to show one
village's households, and names each household's village as the official list does."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kitlog.extensions import db
from kitlog.services.parcel_codes import format_short_code
from tests.browser.helpers import (
    DELIVER_CACHED_JS,
    assert_no_sideways_scroll,
    log_in,
    translated,
)
from tests.places import move_to
from tests.worlds import DoorWorld

pytestmark = pytest.mark.browser


def test_with_no_signal_the_saved_trip_still_lists_and_names_its_villages(phone_page, make):
    world = DoorWorld(make, households=3)
    first, second, third = world.parcels
    move_to(first.household, "35.07.08.2001")  # Sumberputih, in the district Wajak
    # a name written before kitlog knew the official list: the list's name is shown
    second.household.village = "Ds. Turen"
    db.session.commit()
    villages = [p.household.village_code for p in (first, second, third)]
    assert villages == ["35.07.08.2001", "35.07.09.1011", "35.07.09.2001"]
    manifest = world.dispatch([first, second, third])
    officer = make.user("field")
    page = phone_page
    log_in(page, officer.email)
    page.goto("/deliver/")
    page.wait_for_function(DELIVER_CACHED_JS, polling=100)
    page.locator(f"[data-trip='{manifest.id}'] [data-save-trip]").click()
    worklist = page.locator("[data-worklist]")
    items = worklist.locator("[data-work]")
    expect(items).to_have_count(3)

    page.context.set_offline(True)
    page.reload()
    expect(items).to_have_count(3)
    choice = worklist.locator("select[data-worklist-village]")
    expect(choice).to_be_visible()
    options = choice.locator("option").all_inner_texts()
    assert options == [
        translated("Every village"),
        "Sumberputih (1)",
        "Turen (1)",
        "Tawangrejeni (1)",
    ]
    groups = choice.locator("optgroup").evaluate_all("(els) => els.map((el) => el.label)")
    assert groups == ["Wajak", "Turen"]
    expect(items.filter(has_text="Turen, Turen")).to_have_count(1)  # not "Ds. Turen"
    assert_no_sideways_scroll(page)

    choice.select_option("35.07.09.2001")
    expect(items).to_have_count(1)
    expect(items.first).to_have_attribute("data-work", format_short_code(third.short_code))
    expect(items.first).to_contain_text("Tawangrejeni, Turen")
    # the household of the list opens with its village named from the saved trip
    items.first.locator(".door-work-code").click()
    panel = page.locator("[data-parcel]")
    expect(panel.locator("[data-field=village]")).to_have_text("Tawangrejeni, Turen")

    choice.select_option("")
    expect(items).to_have_count(3)
