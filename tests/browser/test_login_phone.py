"""Logging in on a phone: Indonesian by default, and nothing wider than the screen."""

from __future__ import annotations

import pytest

from tests.browser.helpers import (
    assert_no_sideways_scroll,
    html_lang,
    log_in,
    sideways_overflow,
    translated,
)

pytestmark = pytest.mark.browser


def test_field_officer_logs_in_on_a_phone_in_indonesian_without_sideways_scroll(
    phone_page, make, tmp_path
):
    officer = make.user("field", language="id")
    page = phone_page
    page.goto("/")
    assert html_lang(page) == "id"
    login_heading = translated("Log in")  # Indonesian: "Masuk"
    assert login_heading != "Log in", "the Indonesian catalog does not translate 'Log in'"
    assert page.get_by_text(login_heading).first.is_visible()
    assert_no_sideways_scroll(page)
    page.screenshot(path=tmp_path / "login-phone.png", full_page=True)

    log_in(page, officer.email)

    assert page.locator("input[name=password]").count() == 0, f"still on the login form: {page.url}"
    assert html_lang(page) == "id"
    welcome = translated("Welcome, %(name)s", name=officer.name)  # the field officer's heading
    assert not welcome.startswith("Welcome"), "the Indonesian catalog lacks 'Welcome, %(name)s'"
    assert page.locator("main").get_by_text(welcome).first.is_visible()
    dashboard = translated("Dashboard")  # in the menu, which may be folded away on a phone
    assert dashboard != "Dashboard", "the Indonesian catalog does not translate 'Dashboard'"
    assert page.get_by_role("link", name=dashboard, include_hidden=True).count() >= 1
    assert_no_sideways_scroll(page)
    page.screenshot(path=tmp_path / "dashboard-phone.png", full_page=True)


def test_the_sideways_scroll_check_catches_a_page_wider_than_the_phone(phone_page):
    page = phone_page
    page.set_content(
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<body style="margin:0"><div style="width:600px">too wide</div></body>'
    )
    assert sideways_overflow(page)["overflow"] >= 200
    page.set_content(
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<body style="margin:0"><div style="max-width:100%">fits</div></body>'
    )
    assert sideways_overflow(page)["overflow"] == 0
