"""Nothing waiting on the phone is lost when the browser itself is closed: a scan made
offline is still waiting when the browser starts again, and is sent once the network is
back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, SIZES, TIMEOUT_MS
from tests.browser.helpers import log_in
from tests.browser.test_offline_station import STATION_CACHED_JS
from tests.browser.test_scan_station import allocated_parcels, status_of

pytestmark = pytest.mark.browser


def test_a_scan_waiting_offline_survives_a_browser_restart_and_is_sent_afterwards(
    chromium, live_server, make, tmp_path
):
    (parcel,) = allocated_parcels(make, 1)
    storekeeper = make.user("warehouse")
    profile = tmp_path / "chromium-profile"

    def start_browser():
        """A whole new Chromium process on the same profile folder, like a phone's browser
        opened again after it was closed."""
        context = chromium.browser_type.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            base_url=live_server,
            locale="id-ID",
            **SIZES["phone"],
        )
        context.set_default_timeout(TIMEOUT_MS)
        return context, context.pages[0] if context.pages else context.new_page()

    context, page = start_browser()
    log_in(page, storekeeper.email)
    page.goto("/scan/")
    page.wait_for_function(STATION_CACHED_JS, polling=100)
    context.set_offline(True)
    code_input = page.locator("input[name=code]")
    code_input.fill(parcel.short_code)
    code_input.press("Enter")
    expect(page.locator("[data-outbox-count]")).to_have_attribute("data-count", "1")
    context.close()  # the browser is gone; the scan never reached the server
    assert status_of(parcel.id) == "allocated"

    context, page = start_browser()
    try:
        context.set_offline(True)
        page.goto("/scan/")  # from the service worker: still no network
        expect(page.locator("[data-outbox-count]")).to_have_attribute("data-count", "1")
        expect(page.locator("[data-recent] li").first).to_have_attribute("data-state", "waiting")
        assert status_of(parcel.id) == "allocated"

        context.set_offline(False)  # the signal is back: the waiting scan is sent
        expect(page.locator("[data-outbox-count]")).to_have_attribute("data-count", "0")
        expect(page.locator("[data-recent] li").first).to_have_attribute("data-state", "ok")
        assert status_of(parcel.id) == "packed"
    finally:
        context.close()
