"""The monitoring survey on a 390x844 phone in Indonesian: big satisfaction buttons, the
missing items only when the kit was not complete, no accessibility violation, nothing
scrolling sideways; online, the answers go through the outbox at once and the page says
they are recorded."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import PdmResponse
from kitlog.services import pdm
from tests.browser.helpers import AXE, assert_no_sideways_scroll, log_in, violations
from tests.worlds import ScanWorld

pytestmark = pytest.mark.browser


@pytest.fixture
def parcel(make):
    world = ScanWorld(make, households=3)
    world.on_the_road(world.parcels)
    for p in world.parcels:
        world.scan(p, "deliver")
    sample = pdm.draw_sample(db.session, world.round, size=2, seed=11, user=world.admin)
    db.session.commit()
    return sample.parcels[0].parcel


def test_a_field_officer_fills_in_the_survey_on_a_phone(phone_page, make, parcel, tmp_path):
    officer = make.user("field", language="id")
    phone_page.context.add_init_script(path=str(AXE))
    log_in(phone_page, officer.email)
    path = f"/pdm/survey/{parcel.short_code}"
    assert violations(phone_page, path) == []
    text = phone_page.locator("main").inner_text()
    assert "Apakah kitnya lengkap?" in text and parcel.household.head_name in text
    assert phone_page.locator("[data-pdm-items]").is_hidden()
    for score in range(1, 6):
        box = phone_page.locator(f'label[for="satisfaction-{score - 1}"]').bounding_box()
        assert box is not None and box["width"] >= 44 and box["height"] >= 44, box
    phone_page.get_by_label("Tidak, ada yang kurang").check()
    assert phone_page.locator("[data-pdm-items]").is_visible()
    phone_page.get_by_label("Soap").check()
    phone_page.locator("#satisfaction-3").click()  # a tap on the big button
    phone_page.screenshot(path=tmp_path / "pdm-survey.png", full_page=True)
    assert_no_sideways_scroll(phone_page)
    phone_page.get_by_role("button", name="Simpan jawaban").click()
    # online, the outbox sends the answers at once, and the page says they are recorded
    outcome = phone_page.locator("[data-pdm-status]")
    expect(outcome).to_have_attribute("data-state", "ok")
    expect(outcome).to_contain_text("jawaban rumah tangga")
    expect(outcome).to_contain_text(parcel.household.code)
    db.session.rollback()
    response = db.session.scalar(select(PdmResponse))
    assert (response.received_complete, response.items_missing, response.satisfaction) == (
        False,
        "[2]",
        4,
    )
