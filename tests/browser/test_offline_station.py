"""The scan station with no network: opened once online, it reloads from the service
worker; a scan made offline waits on the device (and says so), survives a reload, and is
sent when the network is back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import log_in, status_of

pytestmark = pytest.mark.browser

# Resolves once the service worker is active and has kept the station page.
STATION_CACHED_JS = """async () => {
  const registration = await navigator.serviceWorker.ready;
  const names = await caches.keys();
  const pages = names.filter((name) => name.startsWith("kitlog-pages-"));
  for (const name of pages) {
    const cache = await caches.open(name);
    if (await cache.match("/scan/")) return registration.active.state;
  }
  return null;
}"""


def test_a_scan_made_offline_waits_survives_a_reload_and_syncs_when_back_online(phone_page, make):
    (parcel,) = make.allocated_parcels(1)
    storekeeper = make.user("warehouse")
    page = phone_page
    log_in(page, storekeeper.email)
    page.goto("/scan/")
    page.wait_for_function(STATION_CACHED_JS, polling=100)

    context = page.context
    context.set_offline(True)
    page.reload()
    code_input = page.locator("input[name=code]")
    expect(page.locator("h1")).to_be_visible()
    expect(code_input).to_be_visible()

    code_input.fill(parcel.short_code)
    code_input.press("Enter")
    count = page.locator("[data-outbox-count]")
    expect(count).to_have_attribute("data-count", "1")
    expect(count).to_contain_text("1")
    panel = page.locator("[data-feedback]")
    expect(panel).to_have_attribute("data-outcome", "waiting")
    expect(code_input).to_have_value("")
    assert status_of(parcel.id) == "allocated"

    page.reload()  # still offline: the page and the waiting scan come back
    expect(count).to_have_attribute("data-count", "1")
    recent = page.locator("[data-recent] li")
    expect(recent).to_have_count(1)
    expect(recent.first).to_have_attribute("data-state", "waiting")
    assert status_of(parcel.id) == "allocated"

    context.set_offline(False)  # the `online` event sends it
    expect(count).to_have_attribute("data-count", "0")
    expect(recent.first).to_have_attribute("data-state", "ok")
    expect(page.locator("[data-accepted-count]")).to_have_text("1")
    assert status_of(parcel.id) == "packed"


KEPT_PAGES_JS = """async () => {
  const kept = [];
  for (const name of await caches.keys()) {
    if (!name.startsWith("kitlog-pages-")) continue;
    const cache = await caches.open(name);
    for (const request of await cache.keys()) kept.push(new URL(request.url).pathname);
  }
  return kept;
}"""


def test_logging_out_leaves_no_page_of_the_user_in_the_cache(phone_page, make):
    storekeeper = make.user("warehouse")
    page = phone_page
    log_in(page, storekeeper.email)
    page.goto("/scan/")
    page.wait_for_function(STATION_CACHED_JS, polling=100)
    assert "/scan/" in page.evaluate(KEPT_PAGES_JS)

    page.locator("[data-menu] summary").click()
    with page.expect_navigation():
        page.locator("form[action='/logout'] button:visible").first.click()
    assert page.locator("input[name=password]").is_visible()
    assert "/scan/" not in page.evaluate(KEPT_PAGES_JS)

    page.context.set_offline(True)
    page.goto("/scan/")  # offline, logged out: the offline page, not the station
    expect(page.locator("a[href='/scan/']")).to_be_visible()
    expect(page.locator("input[name=code]")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(storekeeper.name)
