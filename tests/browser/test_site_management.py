"""The round's distribution sites on a phone (390×844) and a desk: each site with its
place, days, households and today's count, and the administrator's buttons; the "Add a
site" form opens with the place pick-lists; nothing scrolls sideways; axe finds nothing
on the round's page with the section."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import AXE, assert_no_sideways_scroll, log_in, translated, violations
from tests.worlds import SiteWorld

pytestmark = pytest.mark.browser


@pytest.fixture
def w(make) -> SiteWorld:
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Jakarta")).date()
    world = SiteWorld(make, day=today)
    world.site_manifest_on_the_road(world.parcels[:2])
    return world


def test_the_sites_section_on_a_phone_passes_axe(w, make, phone_page, tmp_path, app):
    admin = make.user("admin", language="id")
    page = phone_page
    log_in(page, admin.email)
    page.goto(f"/rounds/{w.round.id}")
    section = page.locator("#sites")
    with app.app_context():
        expect(section.locator("h2")).to_have_text(translated("Distribution sites"))
        card = section.locator("[data-site]")
        expect(card.locator("h3")).to_have_text("Balai Desa Turen")
        expect(card.locator("[data-site-households]")).to_have_text("3")
        expect(card.locator("[data-site-today]")).to_contain_text("0")
        expect(card).to_contain_text(translated("End the day"))
        section.locator("details.site-add > summary").click()
        expect(section.locator("#site-district")).to_be_visible()
    assert_no_sideways_scroll(page)
    section.screenshot(path=str(tmp_path / "sites-phone.png"))
    page.context.add_init_script(path=str(AXE))
    assert violations(page, f"/rounds/{w.round.id}") == []


def test_the_sites_section_on_a_desk(w, make, desktop_page, tmp_path):
    admin = make.user("admin", language="en")
    page = desktop_page
    log_in(page, admin.email)
    page.goto(f"/rounds/{w.round.id}")
    section = page.locator("#sites")
    expect(section.locator("[data-site-place]")).to_have_text("Turen (district)")
    expect(section.locator("[data-site-today]")).to_have_text("0 handed over of 2 expected")
    section.locator("details.site-add > summary").click()
    section.screenshot(path=str(tmp_path / "sites-desktop.png"))
