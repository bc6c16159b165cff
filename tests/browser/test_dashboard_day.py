"""The administrator's dashboard brings the day's figures up to date by itself: a delivery
recorded after the page was opened shows without a reload, and a poll that fails keeps the
figures and says when they were last brought up to date."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from kitlog.extensions import db
from tests.browser.helpers import assert_no_sideways_scroll, log_in
from tests.worlds import ScanWorld

pytestmark = pytest.mark.browser


def _poll_every_second(page) -> None:
    """The page as served, polling every second instead of every 30 seconds."""

    def shorten(route):
        response = route.fetch()
        body = response.text().replace('data-poll-seconds="30"', 'data-poll-seconds="1"')
        route.fulfill(response=response, body=body)

    page.route("**/dashboard", shorten)


@pytest.mark.parametrize(("size", "locale"), [("phone", "id-ID"), ("desktop", "en-US")])
def test_the_day_updates_after_a_delivery_without_a_reload(new_page, make, size, locale, tmp_path):
    world = ScanWorld(make)
    delivered, later, _, _ = world.parcels
    world.on_the_road([delivered, later])
    world.scan(delivered, "deliver", at=datetime.now(UTC))
    admin = make.user("admin", language=locale[:2])
    page = new_page(size, locale=locale)
    _poll_every_second(page)
    log_in(page, admin.email)
    page.goto("/dashboard")
    today = page.locator('[data-day="delivered_today"]')
    assert today.inner_text() == "1"
    assert page.locator('[data-day="in_transit"]').inner_text() == "1"
    page.screenshot(path=tmp_path / f"dashboard-day-{size}.png", full_page=True)
    assert_no_sideways_scroll(page)

    db.session.rollback()  # end this thread's read of the database: the server wrote since
    world.scan(later, "deliver", at=datetime.now(UTC))
    expect(today).to_have_text("2")
    assert page.locator('[data-day="in_transit"]').inner_text() == "0"
    assert page.locator(f'[data-day="round-{world.round.id}-delivered"]').inner_text() == "2"

    page.route("**/dashboard/day.json", lambda route: route.abort())
    status = page.locator("[data-day-status]")
    expect(status).to_have_class(re.compile("is-stale"))
    stale = "Gagal memperbarui" if locale == "id-ID" else "Could not refresh"
    assert stale in status.inner_text()
    assert today.inner_text() == "2"
