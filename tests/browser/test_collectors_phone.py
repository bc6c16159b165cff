"""A field officer names and removes a household's collectors on a phone, in Indonesian:
every field and button a thumb's size, Remove asked to be confirmed, nothing wider than
the screen, and no serious accessibility fault."""

from __future__ import annotations

import pytest

from kitlog.extensions import db
from kitlog.services import collectors
from tests.browser.helpers import AXE, assert_no_sideways_scroll, log_in, translated, violations

pytestmark = pytest.mark.browser


def _taps(page) -> None:
    """Every field and every button of the section is 44 px or taller."""
    section = page.locator("#collectors")
    for element in section.locator("input:not([type=hidden]), button").all():
        box = element.bounding_box()
        assert box is not None and box["height"] >= 44, element.evaluate("e => e.outerHTML")


def test_a_field_officer_names_and_removes_collectors_on_a_phone(phone_page, make):
    household = make.household()
    for n in range(2):
        collectors.add_collector(
            db.session, household, {"name": f"Wakil {n}", "relation": "anak"}, user=None
        )
    db.session.commit()
    officer = make.user("field", language="id")
    page = phone_page
    page.context.add_init_script(path=str(AXE))
    log_in(page, officer.email)
    path = f"/households/{household.code}"
    assert violations(page, path) == []
    assert_no_sideways_scroll(page)
    _taps(page)

    page.fill("input[name=collector-name]", "Sri Wahyuni")
    page.fill("input[name=collector-relation]", "tetangga")
    page.fill("input[name=collector-phone]", "0812 1111 2222")
    with page.expect_navigation():
        page.get_by_role("button", name=translated("Add the collector")).click()
    main = page.locator("main").inner_text()
    assert translated("%(name)s may now collect for this household.", name="Sri Wahyuni") in main
    # three named: the form gives way to the note
    assert page.locator("input[name=collector-name]").count() == 0
    full = "This household has named %(n)s collectors, the most it may. Remove one to name another."
    assert translated(full, n=3) in main
    assert_no_sideways_scroll(page)
    _taps(page)

    # Remove asks first: dismissed, nothing happens; accepted, the collector is removed
    remove = page.locator("#collectors li", has_text="Wakil 0").get_by_role("button")
    page.once("dialog", lambda dialog: dialog.dismiss())
    remove.click()
    assert page.locator("#collectors li", has_text="Wakil 0").count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        remove.click()
    main = page.locator("main").inner_text()
    assert translated("%(name)s no longer collects for this household.", name="Wakil 0") in main
    assert page.locator("#collectors li", has_text="Wakil 0").count() == 0
    assert page.locator("input[name=collector-name]").count() == 1
