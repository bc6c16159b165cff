"""Follow-ups on a 390x844 phone in Indonesian: the field officer sees each failed parcel
with its household and attempts without scrolling sideways; warehouse staff put the
chosen ones on the next manifest in one action."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kitlog.extensions import db
from kitlog.models import ParcelStatus
from kitlog.services.parcel_codes import format_short_code
from tests.browser.helpers import assert_no_sideways_scroll, log_in
from tests.worlds import T0, ScanWorld

pytestmark = pytest.mark.browser


@pytest.fixture
def world(make) -> ScanWorld:
    w = ScanWorld(make)
    nobody, moved, *_ = w.parcels
    w.on_the_road([nobody, moved])
    w.scan(nobody, "fail", reason="nobody_home", scanned_at=T0 - timedelta(hours=1))
    w.scan(moved, "fail", reason="moved", scanned_at=T0)
    return w


def test_a_field_officer_reads_the_follow_ups_on_a_phone(phone_page, make, world, tmp_path):
    officer = make.user("field", language="id")
    log_in(phone_page, officer.email)
    phone_page.goto("/follow-ups/")
    text = phone_page.locator("main").inner_text()
    assert "Tindak lanjut" in text
    for parcel in world.parcels[:2]:
        assert format_short_code(parcel.short_code) in text
        assert parcel.household.head_name in text
    assert phone_page.locator('a[href^="tel:"]').count() == 2
    assert phone_page.locator('form[action^="/follow-ups/load"]').count() == 0
    phone_page.screenshot(path=tmp_path / "follow-ups-field.png", full_page=True)
    assert_no_sideways_scroll(phone_page)


def test_warehouse_staff_put_follow_ups_on_the_next_manifest(phone_page, make, world, tmp_path):
    nxt = world.manifest()
    staff = make.user("warehouse", language="id")
    log_in(phone_page, staff.email)
    phone_page.goto("/follow-ups/")
    assert phone_page.locator('a[href^="tel:"]').count() == 0
    phone_page.select_option("#manifest", str(nxt.id))
    phone_page.screenshot(path=tmp_path / "follow-ups-warehouse.png", full_page=True)
    assert_no_sideways_scroll(phone_page)
    phone_page.get_by_role("button", name="Masukkan ke surat jalan").click()
    phone_page.wait_for_url(f"**/manifests/{nxt.id}")
    assert "2 paket tindak lanjut masuk ke surat jalan" in phone_page.locator("body").inner_text()
    db.session.rollback()
    for parcel in world.parcels[:2]:
        db.session.refresh(parcel)
        assert (parcel.status, parcel.manifest_id) == (ParcelStatus.PACKED, nxt.id)
