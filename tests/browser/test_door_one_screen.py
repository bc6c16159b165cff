"""One screen per door, on a 390x844 phone in Indonesian: after a lookup the household
and the hand-over form fit on the screen with the recipient choice focused; the saved
trip's work-list lists its households in visiting order with "N of M delivered", a
"left to deliver" filter and a number to call, and still shows with no signal."""

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

HEIGHT = 844


def focused(page) -> str:
    return page.evaluate("() => document.activeElement && document.activeElement.name")


def assert_on_screen(page, locator) -> None:
    """The element is wholly inside the viewport as it is now (nothing to scroll)."""
    box = locator.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT, box


def test_after_a_lookup_the_hand_over_form_is_on_one_screen_focused(phone_page, make):
    world = DoorWorld(make)
    parcel, household = world.parcels[0], world.households[0]
    world.dispatch([parcel])
    officer = make.user("field")
    page = phone_page
    log_in(page, officer.email)
    page.goto("/deliver/")
    lookup = page.locator("form[data-lookup]")
    lookup.locator("input[name=code]").fill(parcel.short_code)
    with page.expect_navigation():
        lookup.locator("button[type=submit]").click()

    panel = page.locator("[data-parcel]")
    expect(panel.locator("[data-field=head_name]")).to_have_text(household.head_name)
    assert focused(page) == "deliver-recipient"  # the choice of who takes it
    assert page.evaluate("() => window.scrollY") == 0  # no scroll, not even a script's
    form = page.locator("form[data-door-form=deliver]")
    assert_on_screen(page, panel.locator("[data-field=head_name]"))
    assert_on_screen(page, panel.locator("[data-field=village]"))
    button = form.locator("button[type=submit]")
    expect(button).to_have_text(translated("Confirm delivery"))
    assert_on_screen(page, button)
    assert_no_sideways_scroll(page)


def test_the_saved_trips_work_list_counts_filters_and_works_offline(phone_page, make):
    world = DoorWorld(make, households=4)
    first, second, third, fourth = world.parcels
    # visiting order: district, then village (the second and the third share one)
    move_to(first.household, "35.07.08.2001")  # Sumberputih, in Wajak
    move_to(second.household, "35.07.09.1011")  # Turen, in Turen
    move_to(third.household, "35.07.09.1011")
    db.session.commit()
    manifest = world.dispatch([first, second, third])
    world.scan(second, "deliver", user=make.user("field"), recipient_name="Agus")
    world.scan(third, "fail", user=make.user("field"), reason="nobody_home")
    officer = make.user("field")
    page = phone_page
    log_in(page, officer.email)
    page.goto("/deliver/")
    page.wait_for_function(DELIVER_CACHED_JS, polling=100)
    worklist = page.locator("[data-worklist]")
    expect(worklist).to_be_hidden()  # no trip saved on this phone yet

    page.locator(f"[data-trip='{manifest.id}'] [data-save-trip]").click()
    expect(worklist).to_be_visible()
    progress = worklist.locator("[data-worklist-progress]")
    expect(progress).to_have_text(translated("%(done)s of %(total)s delivered", done=1, total=3))
    items = worklist.locator("[data-work]")
    codes = [format_short_code(p.short_code) for p in (second, third, first)]
    expect(items).to_have_count(3)
    assert items.evaluate_all("(els) => els.map((el) => el.dataset.work)") == codes
    row = items.nth(0)
    expect(row).to_contain_text(second.household.head_name)
    expect(row).to_contain_text(translated("Delivered"))
    failed = items.nth(1)
    expect(failed).to_contain_text(translated("Attempts: %(count)s", count=1))
    expect(failed).to_contain_text(translated("Nobody home"))
    call = items.nth(2).locator("a[href^='tel:']")
    expect(call).to_have_attribute("href", "tel:" + first.household.phone)
    assert_no_sideways_scroll(page)

    left = worklist.locator("[data-worklist-left]")
    left.check()
    expect(items).to_have_count(2)
    assert items.evaluate_all("(els) => els.map((el) => el.dataset.work)") == codes[1:]

    # No signal: the page comes from the phone, and so does the work-list.
    page.context.set_offline(True)
    page.reload()
    expect(progress).to_have_text(translated("%(done)s of %(total)s delivered", done=1, total=3))
    expect(items).to_have_count(3)
    expect(items.nth(2)).to_contain_text(first.household.head_name)
    # a household of the list is one tap from its hand-over form, focused and on screen
    items.nth(2).locator(".door-work-code").click()
    panel = page.locator("[data-parcel]")
    expect(panel.locator("[data-field=head_name]")).to_have_text(first.household.head_name)
    assert focused(page) == "deliver-recipient"  # the choice of who takes it
    assert_on_screen(page, page.locator("form[data-door-form=deliver] button[type=submit]"))
    # the parcel's code is not hidden under the top bar
    code = panel.locator("[data-field=code]").bounding_box()
    bar = page.locator(".topbar").bounding_box()
    assert code is not None and bar is not None and code["y"] >= bar["y"] + bar["height"]

    # delivered on the phone: the list counts it at once
    form = page.locator("form[data-door-form=deliver]")
    form.locator("label.door-recipient-choice").last.click()  # someone else
    form.locator("input[name=deliver-recipient_name]").fill("Siti")
    form.locator("select[name=deliver-recipient_relation]").select_option("sibling")
    form.locator("button[type=submit]").click()
    expect(progress).to_have_text(translated("%(done)s of %(total)s delivered", done=2, total=3))
