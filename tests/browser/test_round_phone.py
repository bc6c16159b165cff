"""An administrator plans the parcels of a round on a phone: the round page fits the
screen, and the allocate button gives the waiting households their parcels."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale, ngettext
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import Parcel
from kitlog.services import distribution as dist
from tests.browser.helpers import assert_no_sideways_scroll, log_in, translated

pytestmark = pytest.mark.browser

EAST_JAVA = {"province": "Jawa Timur", "regency": "Kabupaten Malang"}


def _plural(singular: str, plural: str, n: int, **variables) -> str:
    """The Indonesian catalog's form of a message that has a plural."""
    with force_locale("id"):
        return ngettext(singular, plural, n, **variables)


def _parcels() -> int:
    db.session.commit()  # a new transaction sees what the server committed
    return db.session.scalar(select(func.count()).select_from(Parcel))


def test_admin_allocates_a_round_on_a_phone_without_sideways_scrolling(phone_page, make):
    batch = make.batch(received=200, lot="KOICA-HK-2020-001")
    for members in (3, 6, 8, 2):
        make.household(members=members, vulnerabilities=["elderly"], **EAST_JAVA)
    make.household(
        consent=False, district="Sumbermanjing Wetan", village="Sumbermanjing Wetan", **EAST_JAVA
    )
    round_ = dist.create_round(
        db.session,
        name="Paket kebersihan KOICA, Jawa Timur, Desember 2020",
        batches=[batch],
        warehouse=batch.warehouse,
        entitlement=2,
        members_per_kit=4,
        user=None,
        **EAST_JAVA,
    )
    db.session.commit()
    dist.allocate(db.session, round_, user=None, today=date(2021, 1, 10))
    db.session.commit()
    for _ in range(3):  # registered after the first allocation: waiting for a parcel
        make.household(members=5, **EAST_JAVA)
    admin = make.user("admin")
    assert _parcels() == 4

    page = phone_page
    log_in(page, admin.email)
    page.goto(f"/rounds/{round_.id}")
    assert page.get_attribute("html", "lang") == "id"
    main = page.locator("main").inner_text()
    assert "KOICA-HK-2020-001" in main
    assert_no_sideways_scroll(page)

    button = page.get_by_role("button", name=translated("Allocate parcels"))
    assert button.is_enabled()
    with page.expect_navigation():
        button.click()
    assert _parcels() == 7
    flash = page.locator(".flash-success").inner_text()
    assert flash.startswith(
        _plural(
            "%(count)s parcel allocated (%(kits)s kits).",
            "%(count)s parcels allocated (%(kits)s kits).",
            3,
            count="3",
            kits="6",
        )
    )
    assert flash.endswith(
        _plural(
            "%(count)s household skipped: the round's page says why.",
            "%(count)s households skipped: the round's page says why.",
            1,
            count="1",
        )
    )
    assert_no_sideways_scroll(page)
    assert page.get_by_role("button", name=translated("Allocate parcels")).count() == 0

    page.locator("table.parcels a.short-code").first.click()
    page.wait_for_load_state()
    assert page.locator(".short-code-large").is_visible()
    assert_no_sideways_scroll(page)
