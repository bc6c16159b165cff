"""Trips saved on a phone for delivery with no signal hold households' names: they are
deleted at logout (and on the login page, should the logout's script not have run) and
7 days after they were saved; the scans waiting to be sent are never deleted with them.
On a 390x844 phone, in Indonesian."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kitlog.services.parcel_codes import format_short_code
from tests.browser.helpers import DELIVER_CACHED_JS, html_lang, log_in, translated
from tests.worlds import DoorWorld

pytestmark = pytest.mark.browser

# The ids of the trips saved on this phone.
TRIPS_JS = """() => new Promise((resolve, reject) => {
  const request = indexedDB.open("kitlog-trips", 1);
  request.onupgradeneeded = () => request.result.createObjectStore("trips", { keyPath: "id" });
  request.onerror = () => reject(request.error);
  request.onsuccess = () => {
    const db = request.result;
    const all = db.transaction("trips").objectStore("trips").getAll();
    all.onsuccess = () => { db.close(); resolve(all.result.map((trip) => trip.id).sort()); };
    all.onerror = () => reject(all.error);
  };
})"""

# The states of the scans in the outbox (waiting to be sent, or answered).
OUTBOX_JS = """() => new Promise((resolve, reject) => {
  const request = indexedDB.open("kitlog-outbox", 1);
  request.onerror = () => reject(request.error);
  request.onsuccess = () => {
    const db = request.result;
    const all = db.transaction("scans").objectStore("scans").getAll();
    all.onsuccess = () => { db.close(); resolve(all.result.map((scan) => scan.state)); };
    all.onerror = () => reject(all.error);
  };
})"""

# Put a trip in the store as deliver.js saves one, `days` days ago (or move one back).
AGE_TRIP_JS = """([id, days]) => new Promise((resolve, reject) => {
  const request = indexedDB.open("kitlog-trips", 1);
  request.onerror = () => reject(request.error);
  request.onsuccess = () => {
    const db = request.result;
    const tx = db.transaction("trips", "readwrite");
    const store = tx.objectStore("trips");
    const saved = new Date(Date.now() - days * 24 * 3600 * 1000).toISOString();
    const get = store.get(id);
    get.onsuccess = () => {
      const trip = get.result || { id, number: "OLD/" + id, destination: "", parcels: [] };
      trip.downloaded_at = saved;
      store.put(trip);
    };
    tx.oncomplete = () => { db.close(); resolve(saved); };
    tx.onerror = () => reject(tx.error);
  };
})"""


def save_trip(page, manifest) -> None:
    page.goto("/deliver/")
    page.wait_for_function(DELIVER_CACHED_JS, polling=100)
    trip = page.locator(f"[data-trip='{manifest.id}']")
    trip.locator("[data-save-trip]").click()
    expect(trip.locator("[data-save-trip]")).to_have_text(translated("Update"))
    assert page.evaluate(TRIPS_JS) == [manifest.id]


def log_out(page) -> None:
    page.locator("[data-menu] summary").click()  # on a phone the menu holds it
    with page.expect_navigation():
        page.locator("form[action='/logout'] button:visible").first.click()
    expect(page.locator("input[name=password]")).to_be_visible()


def test_logging_out_deletes_the_saved_trips_and_keeps_the_waiting_scans(phone_page, make):
    world = DoorWorld(make)
    parcel = world.parcels[0]
    manifest = world.dispatch([parcel])
    officer = make.user("field")
    page = phone_page
    log_in(page, officer.email)
    assert html_lang(page) == "id"
    save_trip(page, manifest)

    # A delivery made with no signal waits on the phone; its sending keeps failing.
    page.locator("form[data-lookup] input[name=code]").fill(format_short_code(parcel.short_code))
    with page.expect_navigation():
        page.locator("form[data-lookup] button[type=submit]").click()
    page.route("**/api/v1/scans/batch", lambda route: route.abort())
    page.context.set_offline(True)
    form = page.locator("form[data-door-form=deliver]")
    form.locator("label.door-recipient-choice").last.click()  # someone else
    form.locator("input[name=deliver-recipient_name]").fill("Siti Rahayu")
    form.locator("select[name=deliver-recipient_relation]").select_option("sibling")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-outbox-count]")).to_have_attribute("data-count", "1")
    page.context.set_offline(False)

    log_out(page)
    assert page.evaluate(TRIPS_JS) == []
    assert page.evaluate(OUTBOX_JS) == ["waiting"]

    log_in(page, officer.email)
    page.goto("/deliver/")
    trip = page.locator(f"[data-trip='{manifest.id}']")
    expect(trip.locator("[data-save-trip]")).to_have_text(translated("Save trip for offline use"))
    expect(page.locator("[data-outbox-count]")).to_have_attribute("data-count", "1")
    assert page.evaluate(TRIPS_JS) == []
    assert page.evaluate(OUTBOX_JS) == ["waiting"]


def a_saved_trip(page, make):
    """A field officer logged in on the phone, with a dispatched trip saved for offline use."""
    world = DoorWorld(make)
    manifest = world.dispatch([world.parcels[0]])
    log_in(page, make.user("field").email)
    save_trip(page, manifest)
    return page, manifest


def test_the_login_page_deletes_trips_a_logout_without_its_script_left(phone_page, make):
    page, manifest = a_saved_trip(phone_page, make)

    # form.submit() sends the logout without the "submit" event: no script runs before it
    with page.expect_navigation():
        page.evaluate("() => document.querySelector(\"form[action$='/logout']\").submit()")
    expect(page.locator("input[name=password]")).to_be_visible()
    page.wait_for_function(f"async () => ({TRIPS_JS})().then((ids) => ids.length === 0)")
    assert page.evaluate(TRIPS_JS) == []


def test_a_trip_saved_8_days_ago_is_removed_at_the_next_page_with_a_message(phone_page, make):
    page, manifest = a_saved_trip(phone_page, make)
    page.evaluate(AGE_TRIP_JS, [manifest.id, 8])
    page.evaluate(AGE_TRIP_JS, [999_999, 1])  # saved yesterday: kept

    page.goto("/dashboard")
    message = page.locator("p[data-trips-expired]")
    expect(message).to_have_text(
        translated(
            "A trip saved on this phone more than 7 days ago was removed. Save it again if"
            " you still need it."
        )
    )
    assert page.evaluate(TRIPS_JS) == [999_999]

    page.reload()  # nothing more to remove: no message
    expect(page.locator("main")).to_be_visible()
    assert page.evaluate(TRIPS_JS) == [999_999]
    expect(page.locator("p[data-trips-expired]")).to_have_count(0)
