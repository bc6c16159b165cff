"""Feedback recorded at the door, on a phone, through the same outbox as the deliveries.

The officer saves the trip while online; with no signal the delivery page finds the
parcel in the saved trip, and "Record feedback" keeps the household's feedback on the
phone, saying it waits; once the signal is back it is sent, recorded once (channel
officer, the household and the parcel linked, the officer its author) and the page shows
its number. An answer lost on the way is sent again and still recorded once; a refusal is
shown with the server's reason; a PDM answer goes alone to its own endpoint."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Feedback
from kitlog.services.parcel_codes import format_short_code
from tests.browser.helpers import (
    AXE,
    DELIVER_CACHED_JS,
    FAILING_IMPACTS,
    assert_no_sideways_scroll,
    log_in,
    translated,
)
from tests.worlds import DoorWorld

pytestmark = pytest.mark.browser

AXE_SECTION_JS = """async (selector) => {
  const result = await axe.run(selector, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help }));
}"""


def recorded() -> list[Feedback]:
    db.session.commit()  # a new transaction sees what the server committed
    return list(db.session.scalars(select(Feedback).order_by(Feedback.id)))


def save_trip(page, manifest) -> None:
    page.goto("/deliver/")
    page.wait_for_function(DELIVER_CACHED_JS, polling=100)
    trip = page.locator(f"[data-trip='{manifest.id}']")
    trip.locator("[data-save-trip]").click()
    expect(trip.locator("[data-save-trip]")).to_have_text(translated("Update"))


def fill_feedback(section, category: str, text: str) -> None:
    if section.get_attribute("open") is None:
        section.locator("summary").click()
    section.locator("label.segment", has_text=category).click()
    section.locator("textarea[name=text]").fill(text)
    section.locator("button[type=submit]").click()


def test_feedback_recorded_offline_at_the_door_waits_then_syncs_once_with_its_number(
    phone_page, make
):
    world = DoorWorld(make)
    parcel = world.parcels[0]
    household = world.households[0]
    manifest = world.dispatch([parcel, world.parcels[1]])
    officer = make.user("field")
    page = phone_page
    page.context.add_init_script(path=str(AXE))
    log_in(page, officer.email)
    save_trip(page, manifest)

    # No signal: the parcel is found in the saved trip, and so is its household.
    page.context.set_offline(True)
    page.goto(f"/deliver/?code={parcel.short_code}")
    panel = page.locator("[data-parcel]")
    expect(panel.locator("[data-field=household]")).to_have_text(household.code)
    expect(panel.locator("[data-field=source]")).to_contain_text(manifest.number)
    section = page.locator("[data-door-feedback]")
    section.locator("summary").click()
    code = format_short_code(parcel.short_code)
    expect(section.locator("[data-feedback-for]")).to_have_text(
        translated(
            "Household %(household)s · parcel %(parcel)s", household=household.code, parcel=code
        )
    )
    expect(section.locator("label.segment")).to_have_count(7)
    assert_no_sideways_scroll(page)
    found = page.evaluate(AXE_SECTION_JS, "[data-door-feedback]")
    assert [v for v in found if v["impact"] in FAILING_IMPACTS] == []

    # Nothing chosen: the page says what is missing, and nothing waits.
    section.locator("button[type=submit]").click()
    expect(section.locator("[data-js-error]")).to_have_text(
        translated("Choose what the feedback is about.")
    )
    count = page.locator("[data-outbox-count]")
    expect(count).to_have_attribute("data-count", "0")

    fill_feedback(section, translated("Items missing from the kit"), "Sabunnya tidak ada.")
    outcome = section.locator("[data-feedback-outcome]")
    expect(outcome).to_have_attribute("data-state", "waiting")
    expect(outcome).to_have_text(
        translated("Saved on the phone, waiting to send. It is sent as soon as there is a signal.")
    )
    expect(count).to_have_attribute("data-count", "1")
    expect(count).to_contain_text("1")
    expect(section.locator("textarea[name=text]")).to_have_value("")
    assert recorded() == []

    # Still offline, the page again (the service worker's copy): it still says it waits.
    page.reload()
    expect(panel.locator("[data-field=household]")).to_have_text(household.code)
    expect(outcome).to_have_attribute("data-state", "waiting")
    expect(count).to_have_attribute("data-count", "1")

    page.context.set_offline(False)  # the `online` event sends it
    expect(outcome).to_have_attribute("data-state", "ok")
    expect(count).to_have_attribute("data-count", "0")
    [feedback] = recorded()
    expect(outcome).to_have_text(
        translated("Feedback %(number)s recorded.", number=feedback.number)
    )
    assert (
        feedback.channel,
        feedback.category,
        feedback.household_id,
        feedback.parcel_id,
        feedback.created_by_id,
        feedback.text,
        feedback.sensitive,
    ) == (
        "officer",
        "missing_items",
        household.id,
        parcel.id,
        officer.id,
        "Sabunnya tidak ada.",
        False,
    )

    # Sync again: nothing waits, nothing more is recorded.
    page.evaluate("() => window.kitlogOutbox.sync()")
    assert len(recorded()) == 1
    # the phone keeps the number, not the household's words, once the server has them
    kept = page.evaluate(
        "async () => (await window.kitlogOutbox.recent(5)).filter((e) => e.kind === 'feedback')"
    )
    assert [(e["answer"]["number"], "text" in e) for e in kept] == [(feedback.number, False)]


def test_feedback_whose_answer_was_lost_is_sent_again_and_recorded_once(phone_page, make):
    world = DoorWorld(make)
    parcel = world.parcels[0]
    world.dispatch([parcel])
    page = phone_page
    log_in(page, make.user("field").email)
    lost = []

    def lose_the_answer(route):
        # The server records it; the phone never hears back (the signal dropped).
        route.fetch()
        lost.append(route.request.url)
        route.abort("internetdisconnected")

    page.route("**/api/v1/feedback", lose_the_answer)
    page.goto(f"/deliver/?code={parcel.short_code}")
    section = page.locator("[data-door-feedback]")
    fill_feedback(section, translated("Damaged kit"), "Embernya retak.")
    outcome = section.locator("[data-feedback-outcome]")
    expect(outcome).to_have_attribute("data-state", "waiting")
    page.wait_for_function(
        "() => window.kitlogOutbox.lastSync && window.kitlogOutbox.lastSync.error"
    )
    assert lost
    [feedback] = recorded()  # recorded, though the phone does not know it yet
    expect(page.locator("[data-outbox-count]")).to_have_attribute("data-count", "1")

    page.unroute("**/api/v1/feedback")
    page.locator("[data-outbox-sync]").click()  # the same entry, with the same key
    expect(outcome).to_have_attribute("data-state", "duplicate")
    expect(outcome).to_have_text(
        translated("Feedback %(number)s was already recorded.", number=feedback.number)
    )
    assert [f.id for f in recorded()] == [feedback.id]


def test_a_refused_feedback_shows_the_servers_reason_and_stops_waiting(phone_page, make):
    world = DoorWorld(make)
    parcel = world.parcels[0]
    world.dispatch([parcel])
    page = phone_page
    log_in(page, make.user("field").email)
    reason = "Tulis apa masukannya."
    page.route(
        "**/api/v1/feedback",
        lambda route: route.fulfill(
            status=422,
            content_type="application/problem+json",
            body=json.dumps(
                {
                    "type": "about:blank",
                    "title": "Unprocessable Content",
                    "status": 422,
                    "detail": "Some values are not valid.",
                    "errors": [{"field": "text", "message": reason, "location": "json"}],
                }
            ),
        ),
    )
    page.goto(f"/deliver/?code={parcel.short_code}")
    section = page.locator("[data-door-feedback]")
    fill_feedback(section, translated("Question"), "Kapan paket berikutnya?")
    outcome = section.locator("[data-feedback-outcome]")
    expect(outcome).to_have_attribute("data-state", "refused")
    expect(outcome).to_have_text(
        translated("The feedback was not recorded: %(detail)s", detail=reason)
    )
    expect(page.locator("[data-outbox-count]")).to_have_attribute("data-count", "0")
    assert recorded() == []


def test_a_pdm_answer_is_sent_alone_to_its_endpoint_with_its_key(phone_page, make):
    page = phone_page
    log_in(page, make.user("field").email)
    bodies = []

    def answer(route):
        bodies.append(route.request.post_data_json)
        route.fulfill(status=201, content_type="application/json", body='{"id": 7}')

    page.route("**/api/v1/pdm", answer)
    page.goto("/deliver/")
    kinds = page.evaluate("() => window.kitlogOutbox.kinds")
    assert kinds == ["scan", "feedback", "pdm"]
    entry = page.evaluate(
        """async () => {
          const box = window.kitlogOutbox;
          const added = await box.add({kind: "pdm", parcel: "ABC-DEF-GHJ",
            received_complete: false, items_missing: ["soap"], satisfaction: 4, comment: "ok"});
          await box.sync();
          return box.get(added.idempotency_key);
        }"""
    )
    assert entry["state"] == "ok"
    assert bodies == [
        {
            "idempotency_key": entry["idempotency_key"],
            "parcel": "ABC-DEF-GHJ",
            "received_complete": False,
            "items_missing": ["soap"],
            "satisfaction": 4,
            "comment": "ok",
        }
    ]
