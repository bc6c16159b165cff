"""The distribution site station on a phone (390×844): a household shows its card, the
officer scans the parcel's label (the round asks for the card) and hands it over in one
tap; the running count moves. Then the signal drops: the site's day saved on the phone
finds the next household by its card's hash, the handover waits in the outbox with the
card, the count moves on the phone, and everything is sent once the signal is back. The
page passes axe."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Scan, Verification
from kitlog.services import cards
from kitlog.services.parcel_codes import format_short_code
from tests.browser.helpers import AXE, assert_no_sideways_scroll, log_in, status_of, violations
from tests.worlds import SiteWorld

pytestmark = pytest.mark.browser

SITE_CACHED_JS = """async () => {
  const registration = await navigator.serviceWorker.ready;
  for (const name of await caches.keys()) {
    if (!name.startsWith("kitlog-pages-")) continue;
    const cache = await caches.open(name);
    if (await cache.match("/site/")) return registration.active.state;
  }
  return null;
}"""


def handovers(parcel_id: int) -> list[tuple[str, bool]]:
    db.session.commit()
    return [
        (scan.outcome, scan.card_id is not None)
        for scan in db.session.scalars(
            select(Scan).where(Scan.parcel_id == parcel_id, Scan.action == "deliver")
        )
    ]


def test_a_site_hands_over_with_the_card_online_and_offline_and_counts(phone_page, make, tmp_path):
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Jakarta")).date()
    w = SiteWorld(make, day=today)
    w.round.verification = Verification.CARD
    db.session.commit()
    first, second = w.parcels[:2]
    w.site_manifest_on_the_road(w.parcels[:3])
    officer = make.user("field")
    page = phone_page
    log_in(page, officer.email)
    page.goto("/site/")
    page.wait_for_function(SITE_CACHED_JS, polling=100)
    served, expected = page.locator("[data-served]"), page.locator("[data-expected]")
    expect(served).to_have_text("0")
    expect(expected).to_have_text("3")

    # Online: save the site's day on the phone.
    page.locator("[data-save-day]").click()
    expect(page.locator("[data-day-status]")).to_contain_text("3")

    # Online: the first household shows its card (typed); its parcel's label is scanned.
    card_input = page.locator("[data-card-input]")
    card_input.fill(cards.shown_code(w.cards[first.household_id]).lower())
    card_input.press("Enter")
    panel = page.locator("[data-household]")
    expect(panel.locator("h2")).to_have_text(first.household.head_name)
    expect(panel).to_contain_text(first.household.code)
    panel.locator("[data-label-input]").fill(format_short_code(first.short_code))
    panel.locator("[data-hand-over]").click()
    expect(served).to_have_text("1")
    expect(page.locator("[data-feedback]")).to_have_class("station-feedback feedback-ok")
    assert status_of(first.id) == "delivered"
    assert handovers(first.id) == [("ok", True)]
    page.screenshot(path=str(tmp_path / "site-online.png"), full_page=True)

    # Offline: the page comes from the service worker; the card is found on the phone.
    page.context.set_offline(True)
    page.reload()
    card_input.fill(cards.card_url(w.cards[second.household_id], "https://kitlog.example.org"))
    card_input.press("Enter")
    expect(panel.locator("h2")).to_have_text(second.household.head_name)
    expect(served).to_have_text("1")
    expect(expected).to_have_text("3")
    panel.locator("[data-label-input]").fill(format_short_code(first.short_code))
    panel.locator("[data-hand-over]").click()  # another household's parcel: refused here
    expect(page.locator("[data-feedback]")).to_have_class("station-feedback feedback-bad")
    panel.locator("[data-label-input]").fill(format_short_code(second.short_code).lower())
    panel.locator("[data-hand-over]").click()
    expect(page.locator("[data-outbox-count]")).to_have_attribute("data-count", "1")
    expect(served).to_have_text("2")
    assert_no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "site-offline.png"), full_page=True)
    assert status_of(second.id) == "dispatched"

    # Back online: the outbox sends the handover, with the card, once.
    page.context.set_offline(False)
    expect(page.locator("[data-outbox-count]")).to_have_attribute("data-count", "0")
    expect(page.locator("[data-feedback]")).to_have_class("station-feedback feedback-ok")
    assert status_of(second.id) == "delivered"
    assert handovers(second.id) == [("ok", True)]
    page.context.add_init_script(path=str(AXE))
    assert violations(page, f"/site/?site={w.site.id}") == []
