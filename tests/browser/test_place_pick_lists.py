"""The address picked from Indonesia's official places, on a 390x844 phone by touch and at
a desk by keyboard: province, regency, district and village each a type-ahead list under
the one above; the household is saved with its places' codes; the pick-lists pass axe;
and with no list (a name typed and never picked) the server still matches the names."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Household, Round
from tests.browser.helpers import (
    AXE,
    FAILING_IMPACTS,
    RUN_AXE_JS,
    assert_no_sideways_scroll,
    log_in,
    translated,
)

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")  # noqa: S108 - where the reviewers look for them
SEDAYU = ("35", "35.07", "35.07.09", "35.07.09.1008")


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"places-{name}.png", full_page=False)


def _the_rest(page, nik: str) -> None:
    page.fill("input[name=head_name]", "Siti Rahayu")
    page.fill("input[name=nik]", nik)
    page.fill("input[name=worker_name]", "Agus Santoso")
    page.select_option("select[name=worker_relation]", "spouse")
    page.fill("input[name=members]", "4")
    page.check("input[name=consent]")


def _list(page, level: str):
    return page.locator(f"#{level}-places")


def _options(page, level: str) -> list[str]:
    return _list(page, level).locator("[role=option] .place-name").all_inner_texts()


def _saved() -> Household:
    db.session.commit()  # a new transaction sees what the server committed
    return db.session.scalars(select(Household)).one()


def _codes(household: Household) -> tuple:
    return (
        household.province_code,
        household.regency_code,
        household.district_code,
        household.village_code,
    )


def _page(new_page, size: str, officer, **kw):
    """A logged-in page with axe-core loaded in every document (the CSP does not apply)."""
    page = new_page(size, **kw)
    page.context.add_init_script(path=str(AXE))
    log_in(page, officer.email)
    return page


# axe on the address as it is on screen (a list open), then on the whole page from its
# top (scrolled down, axe takes the background of the menu button scrolled away for the
# page's: a false colour-contrast finding)
AXE_ON_JS = """async (selector) => {
  const result = await axe.run(document.querySelector(selector), { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
  }));
}"""


def _axe(page) -> list[dict]:
    found = page.evaluate(AXE_ON_JS, ".places")
    page.evaluate("() => window.scrollTo(0, 0)")
    found += page.evaluate(RUN_AXE_JS)
    return [v for v in found if v["impact"] in FAILING_IMPACTS]


def test_a_field_officer_picks_the_address_by_touch_on_a_phone(new_page, make):
    officer = make.user("field", language="id")
    page = _page(new_page, "phone", officer)
    page.goto("/households/new")
    _the_rest(page, "3507124506850001")
    code = page.locator("input[name=village_code]")
    expect(code).to_be_enabled()  # places.js sends the code; without it nobody does

    province = page.locator("input[name=province]")
    expect(province).to_have_attribute("role", "combobox")
    province.tap()
    expect(_list(page, "province")).to_be_visible()
    expect(_list(page, "province").locator("[role=option]")).to_have_count(38)
    # every option is a thumb's size, and the open list does not widen the page
    box = _list(page, "province").locator("[role=option]").first.bounding_box()
    assert box is not None and box["height"] >= 44
    assert_no_sideways_scroll(page)
    province.fill("jatim")
    expect(_list(page, "province").locator("[role=option]")).to_have_count(1)
    _list(page, "province").get_by_role("option", name="Jawa Timur").tap()
    expect(province).to_have_value("Jawa Timur")
    expect(_list(page, "province")).to_be_hidden()

    regency = page.locator("input[name=regency]")
    regency.tap()
    regency.press_sequentially("kab mal")
    expect(_list(page, "regency").locator("[role=option]")).to_have_count(1)
    _shot(page, "regency-phone")
    _list(page, "regency").get_by_role("option", name="Kabupaten Malang").tap()
    expect(regency).to_have_value("Kabupaten Malang")

    district = page.locator("input[name=district]")
    district.tap()
    district.press_sequentially("TU REN")
    _list(page, "district").get_by_role("option", name="Turen").tap()

    village = page.locator("input[name=village]")
    village.tap()  # no letter typed: every village of Turen
    expect(_list(page, "village").locator("[role=option]")).to_have_count(17)
    assert _options(page, "village")[0] == "Sedayu"
    assert_no_sideways_scroll(page)
    _shot(page, "village-phone")
    assert _axe(page) == []  # the combobox with its list open
    _list(page, "village").get_by_role("option", name="Sedayu").tap()
    expect(code).to_have_value("35.07.09.1008")

    # another regency empties the district and the village, and the code with them
    regency.fill("")
    regency.press_sequentially("kota mal")
    _list(page, "regency").get_by_role("option", name="Kota Malang").tap()
    expect(district).to_have_value("")
    expect(village).to_have_value("")
    expect(code).to_have_value("")
    regency.fill("")
    regency.press_sequentially("kabupaten malang")
    _list(page, "regency").get_by_role("option", name="Kabupaten Malang").tap()
    district.tap()
    _list(page, "district").get_by_role("option", name="Turen").tap()
    village.tap()
    village.press_sequentially("sed")
    _list(page, "village").get_by_role("option", name="Sedayu").tap()
    expect(code).to_have_value("35.07.09.1008")
    assert _axe(page) == []

    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    assert page.url.endswith("/households/HH-000001"), page.url
    household = _saved()
    assert _codes(household) == SEDAYU
    assert (household.regency, household.district, household.village) == (
        "Kabupaten Malang",
        "Turen",
        "Sedayu",
    )


def test_the_keyboard_picks_the_address_at_a_desk(new_page, make):
    officer = make.user("field", language="en")
    page = _page(new_page, "desktop", officer, locale="en-GB")
    page.goto("/households/new")
    _the_rest(page, "3507124506850001")

    province = page.locator("input[name=province]")
    province.focus()
    province.press_sequentially("jawa")
    expect(_list(page, "province").locator("[role=option]")).to_have_count(3)
    province.press("ArrowDown")
    province.press("ArrowDown")
    province.press("ArrowDown")
    active = province.get_attribute("aria-activedescendant")
    expect(page.locator(f"#{active}")).to_contain_text("Jawa Timur")
    province.press("Enter")  # picks: the form is not sent
    expect(province).to_have_value("Jawa Timur")
    assert page.url.endswith("/households/new")

    regency = page.locator("input[name=regency]")
    regency.focus()
    regency.press_sequentially("malang")
    expect(_list(page, "regency").locator("[role=option]")).to_have_count(2)
    regency.press("ArrowDown")
    _shot(page, "regency-desk")
    regency.press("Enter")
    expect(regency).to_have_value("Kabupaten Malang")
    regency.press("Escape")

    # a name typed in full and never picked is found when the field is left
    district = page.locator("input[name=district]")
    district.focus()
    district.press_sequentially("turen")
    district.press("Escape")
    expect(_list(page, "district")).to_be_hidden()
    village = page.locator("input[name=village]")
    village.focus()
    village.fill("gedok k")
    village.press("Enter")  # at once: the one place of the list still to come is picked
    expect(village).to_have_value("Gedok Kulon")
    expect(page.locator("input[name=village_code]")).to_have_value("35.07.09.2005")
    assert _axe(page) == []

    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    assert page.url.endswith("/households/HH-000001"), page.url
    assert _saved().village_code == "35.07.09.2005"


def test_a_refused_regency_offers_its_places_and_the_one_chosen_is_saved(new_page, make):
    """The names typed without picking (as with no script): 'Malang' is two regencies,
    the page says which, and the one chosen is saved."""
    officer = make.user("field", language="id")
    page = _page(new_page, "phone", officer)
    page.goto("/households/new")
    _the_rest(page, "3507124506850001")
    for name, value in (
        ("province", "Jawa Timur"),
        ("regency", "Malang"),
        ("district", "Turen"),
        ("village", "Sedayu"),
    ):
        page.locator(f"input[name={name}]").fill(value)
    page.locator("input[name=village]").press("Escape")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    picks = page.locator("[data-place-picks=regency]")
    expect(picks).to_be_visible()
    expect(picks).to_contain_text("Kabupaten Malang")
    expect(picks).to_contain_text("Kota Malang")
    assert_no_sideways_scroll(page)
    assert _axe(page) == []
    picks.scroll_into_view_if_needed()
    _shot(page, "suggestions-phone")
    picks.get_by_text("Kabupaten Malang").tap()
    expect(page.locator("input[name=regency]")).to_have_value("Kabupaten Malang")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    assert translated("Household %(code)s is registered.", code="HH-000001") in (
        page.locator("main").inner_text()
    )
    assert _codes(_saved()) == SEDAYU


def test_an_admin_picks_a_rounds_area_from_the_lists(new_page, make):
    """A round's area is a province or a regency: the deepest picked goes as its code."""
    batch = make.batch(received=10)
    admin = make.user("admin", language="en")
    page = _page(new_page, "desktop", admin, locale="en-GB")
    page.goto("/rounds/new")
    page.fill("input[name=name]", "Kediri round")
    page.check(f"input[name=batches][value='{batch.id}']")
    page.select_option("select[name=warehouse]", str(batch.warehouse_id))
    province = page.locator("input[name=province]")
    province.click()
    province.press_sequentially("jatim")
    _list(page, "province").get_by_role("option", name="Jawa Timur").click()
    expect(page.locator("input[name=province_code]")).to_have_value("35")
    regency = page.locator("input[name=regency]")
    regency.click()
    regency.press_sequentially("kota ked")
    expect(_list(page, "regency").locator("[role=option]")).to_have_count(1)
    _list(page, "regency").get_by_role("option", name="Kota Kediri").click()
    expect(page.locator("input[name=regency_code]")).to_have_value("35.71")
    expect(page.locator("input[name=province_code]")).to_have_value("")
    assert _axe(page) == []
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    db.session.commit()
    round_ = db.session.scalars(select(Round)).one()
    assert (round_.province_code, round_.regency_code, round_.regency) == (
        "35",
        "35.71",
        "Kota Kediri",
    )


def test_a_household_is_moved_to_another_village_of_its_district(new_page, make):
    """The form of a registered household starts from its places: the village's list is
    there at once, its village chosen, and another pick moves it."""
    household = make.household(village="Sedayu")
    officer = make.user("field", language="id")
    page = _page(new_page, "phone", officer)
    page.goto(f"/households/{household.code}/edit")
    code = page.locator("input[name=village_code]")
    expect(code).to_have_value("35.07.09.1008")
    village = page.locator("input[name=village]")
    village.tap()
    expect(_list(page, "village").locator("[role=option]")).to_have_count(17)
    chosen = _list(page, "village").locator("[aria-selected=true]")
    expect(chosen).to_have_count(1)
    expect(chosen).to_contain_text("Sedayu")
    _list(page, "village").get_by_role("option", name="Talok").tap()
    expect(code).to_have_value("35.07.09.2007")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    assert page.url.endswith(f"/households/{household.code}"), page.url
    db.session.commit()
    db.session.refresh(household)
    assert (household.village, household.village_code) == ("Talok", "35.07.09.2007")


def test_a_pick_made_while_the_list_updates_leaves_it_closed(new_page, make):
    """A quick thumb on a slow network: the list still shows what the last letter but one
    found when the officer taps a place in it. The list the last letter asks for must not
    open again over the next field when it comes, nor one its timer was still to ask for."""
    officer = make.user("field", language="id")
    page = _page(new_page, "phone", officer)
    page.clock.install()
    page.goto("/households/new")
    page.locator("input[name=province]").fill("Jawa Timur")
    regency = page.locator("input[name=regency]")
    regency.fill("Kabupaten Malang")
    district = page.locator("input[name=district]")
    district.tap()
    district.press_sequentially("Tu")
    turen = _list(page, "district").get_by_role("option", name="Turen")
    expect(turen).to_be_visible()

    # the list asked for after the last letter, held on its way until the pick is made
    held = []
    page.route(
        lambda url: "level=district" in url and "q=Tur" in url,
        lambda route: held.append(route),
    )
    district.press("r")
    for _ in range(200):  # up to 10 s on a busy machine
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the list for 'Tur' was never asked for"
    turen.tap()
    expect(district).to_have_value("Turen")
    held[0].continue_()
    page.wait_for_timeout(500)
    assert _list(page, "district").is_hidden()

    # and a letter whose timer has not fired yet when the pick is made
    district.fill("")
    district.press_sequentially("Tu")
    expect(turen).to_be_visible()
    page.clock.pause_at(page.evaluate("Date.now()") + 10)
    district.press("r")  # its timer waits on the paused clock
    turen.tap()
    expect(district).to_have_value("Turen")
    page.clock.resume()
    page.wait_for_timeout(500)
    assert _list(page, "district").is_hidden()
    page.locator("input[name=village]").tap()  # nothing over the next field
    expect(_list(page, "village")).to_be_visible()
