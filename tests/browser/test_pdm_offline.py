"""The monitoring survey with no signal, on a 390x844 phone in Indonesian.

While online the field officer opens the survey list and saves the surveys on the phone
("3 of 3 saved"); in the village, with no signal, the list and a household's survey open
from the phone, the answers wait in the outbox (the bar says entries, not scans) and the
list says the household's answer waits; back online they are sent, and recorded once
with what the household said."""

from __future__ import annotations

import pytest
from flask_babel import force_locale, ngettext
from playwright.sync_api import expect
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import PdmResponse
from kitlog.services import pdm
from kitlog.services.parcel_codes import format_short_code
from tests.browser.helpers import (
    AXE,
    FAILING_IMPACTS,
    RUN_AXE_JS,
    assert_no_sideways_scroll,
    log_in,
    translated,
)
from tests.worlds import ScanWorld

pytestmark = pytest.mark.browser

# Resolves once the service worker is active and has kept the survey list.
LIST_CACHED_JS = """async () => {
  const registration = await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) return null;
  for (const name of await caches.keys()) {
    if (!name.startsWith("kitlog-pages-")) continue;
    const cache = await caches.open(name);
    if (await cache.match("/pdm/")) return registration.active.state;
  }
  return null;
}"""


def waiting_entries(n: int) -> str:
    """The outbox bar's count on a page that queues no scans, in Indonesian."""
    with force_locale("id"):
        return ngettext("%(num)s entry waiting to be sent", "%(num)s entries waiting to be sent", n)


def responses() -> list[PdmResponse]:
    db.session.commit()  # a new transaction sees what the server committed
    return list(db.session.scalars(select(PdmResponse).order_by(PdmResponse.id)))


@pytest.fixture
def sample(make):
    """A round of four households, all delivered; three drawn for the survey."""
    world = ScanWorld(make, households=4)
    world.on_the_road(world.parcels)
    for parcel in world.parcels:
        world.scan(parcel, "deliver")
    drawn = pdm.draw_sample(db.session, world.round, size=3, seed=5, user=world.admin)
    db.session.commit()
    return drawn


def test_surveys_saved_on_the_phone_open_and_are_answered_offline_then_sent_once(
    phone_page, make, sample, tmp_path
):
    officer = make.user("field", language="id")
    parcel = sample.parcels[1].parcel
    household = parcel.household
    page = phone_page
    page.context.add_init_script(path=str(AXE))
    log_in(page, officer.email)

    # Online: the list, and every survey on it saved on the phone.
    page.goto("/pdm/")
    page.wait_for_function(LIST_CACHED_JS, polling=100)
    save = page.get_by_role("button", name=translated("Save the surveys on this phone"))
    save.click()
    status = page.locator("[data-pdm-save-status]")
    expect(status).to_have_attribute("data-state", "done")
    expect(status).to_have_text(
        translated(
            "%(saved)s of %(total)s saved: these surveys open on this phone with no signal.",
            saved=3,
            total=3,
        )
    )
    assert_no_sideways_scroll(page)
    found = page.evaluate(RUN_AXE_JS)
    assert [v for v in found if v["impact"] in FAILING_IMPACTS] == []
    page.screenshot(path=str(tmp_path / "pdm-list-saved.png"), full_page=True)

    # In the village, no signal: the list opens from the phone, then the household's survey.
    page.context.set_offline(True)
    page.goto("/pdm/")
    row = page.locator(f"li[data-parcel='{parcel.short_code}']")
    expect(row.locator("[data-pdm-badge]")).to_have_text(translated("Not yet"))
    row.get_by_role("link").click()
    page.wait_for_url(f"**/pdm/survey/{parcel.short_code}")
    expect(page.locator("h1")).to_have_text(
        translated("Parcel %(code)s", code=format_short_code(parcel.short_code))
    )
    expect(page.locator("main")).to_contain_text(household.code)
    found = page.evaluate(RUN_AXE_JS)
    assert [v for v in found if v["impact"] in FAILING_IMPACTS] == []

    count = page.locator("[data-outbox-count]")
    expect(count).to_have_text(waiting_entries(0))
    page.get_by_label(translated("No, something was missing")).check()
    page.get_by_label("Soap").check()
    page.locator("#satisfaction-2").click()  # a tap on the big "3"
    page.locator("textarea[name=comment]").fill("Sabunnya tidak ada.")
    page.get_by_role("button", name=translated("Save the answers")).click()
    outcome = page.locator("[data-pdm-status]")
    expect(outcome).to_have_attribute("data-state", "waiting")
    expect(outcome).to_have_text(
        translated("Saved on this phone. It is sent as soon as there is a signal.")
    )
    expect(count).to_have_attribute("data-count", "1")
    expect(count).to_have_text(waiting_entries(1))
    expect(page.locator("[data-outbox-message]")).to_have_text(
        translated(
            "No connection: what you recorded waits on this device and is sent when it is back."
        )
    )
    assert_no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "pdm-survey-waiting.png"), full_page=True)
    assert responses() == []

    # Back to the list, still offline: the household's answer waits.
    page.get_by_role("link", name=translated("Back to the survey list")).click()
    page.wait_for_url("**/pdm/")
    badge = page.locator(f"li[data-parcel='{parcel.short_code}'] [data-pdm-badge]")
    expect(badge).to_have_text(translated("Saved, waiting to send"))

    # The signal is back: the answer is sent, and recorded once, with what was said.
    page.context.set_offline(False)
    expect(badge).to_have_text(translated("Answered"))
    expect(page.locator("[data-outbox-count]")).to_have_attribute("data-count", "0")
    [response] = responses()
    assert (
        response.parcel_id,
        response.received_complete,
        response.items_missing,
        response.satisfaction,
        response.comment,
        response.created_by_id,
    ) == (parcel.id, False, "[2]", 3, "Sabunnya tidak ada.", officer.id)
    page.evaluate("() => window.kitlogOutbox.sync()")
    assert len(responses()) == 1

    # Online, the list from the server says so too, and the survey is no longer offered.
    page.reload()
    row = page.locator(f"li[data-parcel='{parcel.short_code}']")
    expect(row.locator(".badge")).to_have_text(translated("Answered"))
    expect(row.get_by_role("link")).to_have_count(0)


def test_with_no_signal_the_surveys_cannot_be_saved_and_the_list_says_so(phone_page, make, sample):
    page = phone_page
    log_in(page, make.user("field").email)
    page.goto("/pdm/")
    page.wait_for_function(LIST_CACHED_JS, polling=100)
    page.context.set_offline(True)
    page.get_by_role("button", name=translated("Save the surveys on this phone")).click()
    status = page.locator("[data-pdm-save-status]")
    expect(status).to_have_attribute("data-state", "offline")
    expect(status).to_have_text(
        translated("No connection: the surveys can be saved only with a signal.")
    )
