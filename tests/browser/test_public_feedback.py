"""The household's feedback page on a cheap phone (390×844), as a visitor who never logged
in: reached from the card's page, filled in with big targets, thanked with a number,
accessible (axe) and never wider than the screen."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Feedback
from kitlog.services import cards
from tests.browser.helpers import AXE, assert_no_sideways_scroll, html_lang, violations

pytestmark = pytest.mark.browser


def test_a_visitor_sends_feedback_from_the_card_on_a_phone(make, phone_page, tmp_path):
    household = make.household(village="Sedayu", head_name="Siti Rahayu Wulandari")
    card = cards.issue_card(db.session, household, user=None)
    db.session.commit()
    page = phone_page
    page.context.add_init_script(path=str(AXE))
    assert page.viewport_size == {"width": 390, "height": 844}

    page.goto(f"/h/{card.token}")
    with page.expect_navigation():
        page.get_by_role("link", name="Sampaikan masukan atau keluhan").click()
    assert page.url.endswith(f"/f/{card.token}")
    assert html_lang(page) == "id"
    assert violations(page, f"/f/{card.token}") == []
    assert_no_sideways_scroll(page)
    for control in (page.get_by_label("Paket rusak"), page.get_by_role("button", name="Kirim")):
        box = control.locator("xpath=ancestor-or-self::*[self::label or self::button][1]")
        assert box.bounding_box()["height"] >= 44
    honeypot = page.locator("input[name=website]").bounding_box()
    assert honeypot is None or honeypot["x"] + honeypot["width"] <= 0  # off screen: not for people
    page.screenshot(path=tmp_path / "feedback-form-phone.png", full_page=True)

    page.get_by_label("Paket rusak").check()
    page.get_by_label("Pesan Anda").fill("Dua sabun pecah dan kardusnya basah.")
    with page.expect_navigation():
        page.get_by_role("button", name="Kirim").click()

    db.session.commit()
    [entry] = db.session.scalars(select(Feedback)).all()
    main = page.locator("main")
    assert main.get_by_text("Terima kasih, pesan Anda sudah kami terima").is_visible()
    assert main.get_by_text(entry.number).is_visible()
    assert re.fullmatch(r"FB-\d{4}-\d{4}", entry.number)
    html = page.content()
    for personal in (household.head_name, household.code, household.village, household.nik):
        assert personal not in html, personal
    assert (entry.household_id, entry.channel, entry.category) == (
        household.id,
        "public",
        "damaged",
    )
    assert_no_sideways_scroll(page)
    page.screenshot(path=tmp_path / "feedback-thanks-phone.png", full_page=True)
