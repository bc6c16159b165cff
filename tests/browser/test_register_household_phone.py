"""A field officer registers a household on a phone, in Indonesian, through the real form:
numeric keypads where digits are typed, nothing wider than the screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.helpers import assert_no_sideways_scroll, html_lang, log_in, translated

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")  # noqa: S108 - where the reviewers look for them


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"households-{name}.png", full_page=True)


def _fill(page, *, nik: str, head_name: str = "Siti Rahayu") -> None:
    page.fill("input[name=head_name]", head_name)
    page.fill("input[name=nik]", nik)
    page.fill("input[name=phone]", "0812 3456 7890")
    page.fill("input[name=worker_name]", "Agus Santoso")
    page.select_option("select[name=worker_relation]", "spouse")
    page.fill("input[name=province]", "Jawa Timur")
    page.fill("input[name=regency]", "kab. malang")
    page.fill("input[name=district]", "turen")
    page.fill("input[name=village]", "sedayu")
    page.fill("input[name=members]", "4")
    page.check("input[name=vulnerabilities][value=elderly]")
    page.check("input[name=vulnerabilities][value=under5]")
    page.check("input[name=consent]")


def _submit(page) -> None:
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()


def test_a_field_officer_registers_a_household_on_a_phone(phone_page, make):
    officer = make.user("field", language="id")
    page = phone_page
    log_in(page, officer.email)

    page.goto("/households/")
    assert html_lang(page) == "id"
    assert_no_sideways_scroll(page)
    with page.expect_navigation():
        page.locator("main").get_by_role(
            "link", name=translated("Register a household")
        ).first.click()
    assert page.url.endswith("/households/new")

    assert page.get_attribute("input[name=nik]", "inputmode") == "numeric"
    assert page.get_attribute("input[name=nik]", "pattern") == "[0-9 ]*"
    assert page.get_attribute("input[name=phone]", "type") == "tel"
    assert page.get_attribute("input[name=phone]", "inputmode") == "tel"
    assert page.get_attribute("input[name=members]", "inputmode") == "numeric"
    # the address's fields are pick-lists of the official places (places.js)
    assert page.get_attribute("input[name=province]", "role") == "combobox"
    # Inputs are large enough for a thumb, and 16px or more so the phone does not zoom.
    for selector in ("input[name=nik]", "input[name=phone]", "input[name=province]"):
        box = page.locator(selector).bounding_box()
        assert box["height"] >= 44, selector
        size = page.locator(selector).evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 16, selector
    assert page.input_value("input[name=consent_date]")  # today, by default

    _fill(page, nik="3507 1245 0685 0001")
    assert_no_sideways_scroll(page)
    _shot(page, "form")
    _submit(page)

    assert page.url.endswith("/households/HH-000001"), page.url
    main = page.locator("main").inner_text()
    assert translated("Household %(code)s is registered.", code="HH-000001") in main
    assert "HH-000001" in main
    # typed "kab. malang": the official name
    for value in ("3507124506850001", "+6281234567890", "Kabupaten Malang", "Turen", "Sedayu"):
        assert value in main, value
    assert translated("Elderly person (60 or older)") in main
    assert translated("Husband or wife") in main
    assert translated("Register another household") in main
    assert_no_sideways_scroll(page)
    _shot(page, "show")

    page.goto("/households/?q=sedayu")
    assert "HH-000001" in page.locator("main").inner_text()
    assert_no_sideways_scroll(page)
    _shot(page, "index")


def test_a_look_alike_is_shown_on_the_phone_and_registered_once_confirmed(phone_page, make):
    existing = make.household(
        head_name="Siti Rahayu", village="Sedayu", district="Turen", regency="Kab. Malang"
    )
    officer = make.user("field", language="id")
    page = phone_page
    log_in(page, officer.email)
    page.goto("/households/new")
    _fill(page, nik="3507 1245 0685 0002")
    _submit(page)

    warning = page.locator("#lookalikes")
    assert warning.is_visible()
    assert existing.code in warning.inner_text()
    assert page.input_value("input[name=nik]") == "3507 1245 0685 0002"  # kept
    assert_no_sideways_scroll(page)
    _shot(page, "lookalike")

    warning.locator("input[name=confirm_duplicate]").check()
    with page.expect_navigation():
        warning.locator("button[type=submit]").click()
    assert page.url.endswith("/households/HH-000002"), page.url
