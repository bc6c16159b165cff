"""A share link opened in a Korean browser, on a phone and on a desk: the page is in the
language the link was made in, its language switch is a whole thumb wide and high, it
re-renders the page in the other language without an account and keeps the token, the
choice is remembered, and axe finds nothing to fault in either language."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kitlog.extensions import db
from kitlog.services import share_links
from tests.browser.helpers import AXE, assert_no_sideways_scroll, html_lang, violations
from tests.worlds import ReportWorld

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("KITLOG_SCREENSHOTS", "/tmp/shots"))  # noqa: S108


@pytest.fixture
def token(make) -> str:
    world = ReportWorld(make)
    world.play()
    _link, token = share_links.create_share_link(
        db.session, world.koica, label="KOICA Seoul office", language="en", user=None
    )
    db.session.commit()
    return token


def assert_thumb_sized(button) -> None:
    box = button.bounding_box()
    assert box and box["width"] >= 44 and box["height"] >= 44, box


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_korean_reader_gets_the_links_language_and_can_switch(new_page, token, size):
    page = new_page(size, locale="ko-KR")
    page.context.add_init_script(path=str(AXE))
    assert not violations(page, f"/share/{token}")
    assert html_lang(page) == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Report for Donor KOICA"

    switch = page.get_by_role("button", name="Bahasa Indonesia")
    assert switch.get_attribute("lang") == "id"
    assert switch.is_visible()
    assert_thumb_sized(switch)
    with page.expect_navigation():
        switch.click()
    assert page.url.endswith(f"/share/{token}?lang=id")  # no login, the token kept
    assert html_lang(page) == "id"
    assert page.get_by_role("heading", level=1).inner_text() == "Laporan untuk Donor KOICA"
    assert not violations(page, page.url)
    back = page.get_by_role("button", name="English")
    assert back.is_visible()
    assert_thumb_sized(back)
    if size == "phone":
        assert_no_sideways_scroll(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / "shared-report-phone.png")

    page.goto(f"/share/{token}")  # remembered for this reader
    assert html_lang(page) == "id"
