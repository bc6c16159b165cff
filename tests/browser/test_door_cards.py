"""The household's card at the door, on a 390x844 phone: online, the card is typed and a
collector chosen with one tap; with no signal, the phone checks the card against the saved
trip (another household's card refused on the phone, naming it), queues the right one and
sends it once the signal is back; a card replaced on the server meanwhile is refused at
sync and the parcel flagged for follow-up."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Collector, Parcel, Scan
from kitlog.services import cards
from kitlog.services.parcel_codes import format_short_code
from tests.browser.helpers import (
    AXE,
    DELIVER_CACHED_JS,
    assert_no_sideways_scroll,
    log_in,
    status_of,
    translated,
    violations,
)
from tests.worlds import DoorWorld

pytestmark = pytest.mark.browser

DAY1 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(make) -> DoorWorld:
    world = DoorWorld(make)
    world.round.verification = "card"
    db.session.commit()
    world.cards = [
        cards.issue_card(db.session, household, user=None, now=DAY1)
        for household in world.households
    ]
    world.collector = Collector(
        household_id=world.households[0].id, name="Dewi Lestari", relation="spouse", active=True
    )
    db.session.add(world.collector)
    db.session.commit()
    world.manifest = world.dispatch(world.parcels[:2])
    return world


def parcel_now(parcel_id: int) -> Parcel:
    db.session.commit()
    return db.session.get(Parcel, parcel_id, populate_existing=True)


def open_parcel(page, parcel) -> None:
    lookup = page.locator("form[data-lookup]")
    lookup.locator("input[name=code]").fill(format_short_code(parcel.short_code))
    with page.expect_navigation():
        lookup.locator("button[type=submit]").click()


def save_trip(page, manifest) -> None:
    page.goto("/deliver/")
    page.wait_for_function(DELIVER_CACHED_JS, polling=100)
    trip = page.locator(f"[data-trip='{manifest.id}']")
    trip.locator("[data-save-trip]").click()
    expect(trip.locator("[data-save-trip]")).to_have_text(translated("Update"))


def test_online_the_card_is_typed_and_a_collector_takes_the_parcel_with_one_tap(
    phone_page, make, world, tmp_path
):
    parcel = world.parcels[0]
    page = phone_page
    page.context.add_init_script(path=str(AXE))
    log_in(page, make.user("field").email)
    path = f"/deliver/?code={parcel.short_code}"
    assert violations(page, path) == []
    form = page.locator("form[data-door-form=deliver]")
    card_field = form.locator("input[name=deliver-card]")
    expect(card_field).to_be_visible()
    expect(card_field).to_be_focused()  # scanned with the parcel, straight away
    head = translated("Head of household (%(name)s)", name=world.households[0].head_name)
    choice = form.locator("label.door-recipient-choice")
    expect(choice).to_have_text([head, "Dewi Lestari (Suami/istri)", translated("Someone else")])
    for box in choice.all():
        assert box.bounding_box()["height"] >= 44
    # someone else's name only when "Someone else" is chosen
    expect(form.locator("input[name=deliver-recipient_name]")).to_be_hidden()
    assert_no_sideways_scroll(page)
    page.screenshot(path=tmp_path / "door-card-form.png", full_page=True)

    card_field.fill(cards.shown_code(world.cards[0]).lower())
    choice.nth(1).click()  # one tap: the collector
    form.locator("button[type=submit]").click()
    result = page.locator("[data-result-list] li").first
    expect(result).to_have_attribute("data-state", "ok")
    expect(result).to_contain_text(translated("Delivered to %(name)s", name="Dewi Lestari"))
    delivered = parcel_now(parcel.id)
    assert (delivered.status, delivered.recipient_kind) == ("delivered", "collector")
    scan = db.session.scalars(select(Scan).where(Scan.action == "deliver")).one()
    assert (scan.collector_id, scan.card_id) == (world.collector.id, world.cards[0].id)


def test_offline_another_households_card_is_refused_on_the_phone_and_the_right_one_syncs(
    phone_page, make, world
):
    parcel, neighbour = world.parcels[0], world.parcels[1]
    page = phone_page
    log_in(page, make.user("field").email)
    save_trip(page, world.manifest)
    open_parcel(page, parcel)
    page.context.set_offline(True)

    form = page.locator("form[data-door-form=deliver]")
    card_field = form.locator("input[name=deliver-card]")
    card_field.fill(cards.shown_code(world.cards[1]))  # the neighbour's card
    form.locator("button[type=submit]").click()
    refused = translated(
        "This is the card of household %(household)s: parcel %(parcel)s is for household %(mine)s.",
        household=neighbour.household.code,
        parcel=format_short_code(parcel.short_code),
        mine=parcel.household.code,
    )
    expect(form.locator("[data-js-error]")).to_have_text(refused)
    count = page.locator("[data-outbox-count]")
    expect(count).to_have_attribute("data-count", "0")

    # the right card, as its QR code reads, and someone else by name
    card_field.fill(cards.card_url(world.cards[0], "https://kitlog.example.org"))
    form.locator("label.door-recipient-choice").last.click()
    form.locator("input[name=deliver-recipient_name]").fill("Agus Santoso")
    form.locator("select[name=deliver-recipient_relation]").select_option("sibling")
    form.locator("button[type=submit]").click()
    expect(count).to_have_attribute("data-count", "1")
    result = page.locator("[data-result-list] li").first
    expect(result).to_have_attribute("data-state", "waiting")
    assert status_of(parcel.id) == "dispatched"

    page.context.set_offline(False)
    expect(count).to_have_attribute("data-count", "0")
    expect(result).to_have_attribute("data-state", "ok")
    delivered = parcel_now(parcel.id)
    assert (delivered.status, delivered.recipient_kind, delivered.flag) == (
        "delivered",
        "other",
        None,
    )


def test_a_card_replaced_while_the_phone_was_offline_is_refused_at_sync_and_flagged(
    phone_page, make, world
):
    parcel = world.parcels[0]
    page = phone_page
    log_in(page, make.user("field").email)
    save_trip(page, world.manifest)
    open_parcel(page, parcel)
    page.context.set_offline(True)
    # the office reissues the household's card while the officer is on the road
    household = parcel_now(parcel.id).household  # a fresh transaction: the server wrote
    cards.issue_card(db.session, household, user=None)
    db.session.commit()

    form = page.locator("form[data-door-form=deliver]")
    form.locator("input[name=deliver-card]").fill(world.cards[0].token)  # the trip's card
    form.locator("button[type=submit]").click()
    count = page.locator("[data-outbox-count]")
    expect(count).to_have_attribute("data-count", "1")

    page.context.set_offline(False)
    result = page.locator("[data-result-list] li").first
    expect(result).to_have_attribute("data-state", "refused")
    replaced = translated("Card replaced on %(date)s.", date="").rstrip(".")
    expect(result.locator(".door-result-detail")).to_contain_text(replaced)
    expect(page.locator("[data-outcome]")).to_contain_text(replaced)
    flagged = parcel_now(parcel.id)
    assert (flagged.status, flagged.flag) == ("dispatched", "card_mismatch")
    # the form is back, with what was entered, for the card the household holds now
    expect(form).to_be_visible()
    expect(form.locator("input[name=deliver-card]")).to_have_value(world.cards[0].token)
