"""A storekeeper receives a batch and moves kits through the real pages, on a phone and
at a desk: the figures they see come from the ledger."""

from __future__ import annotations

import pytest

from tests.browser.helpers import assert_no_sideways_scroll, log_in

pytestmark = pytest.mark.browser


def _select_by_text(page, name: str, text: str) -> None:
    select = page.locator(f"select[name={name}]")
    value = select.locator("option", has_text=text).first.get_attribute("value")
    select.select_option(value)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_storekeeper_receives_a_damaged_batch_then_transfers_part_of_it(
    new_page, make, size, tmp_path
):
    make.donor("KOICA")
    make.kit_type("HK-FAM")
    make.warehouse("JKT-01", name="Gudang Jakarta")
    make.warehouse("SBY-01", name="Gudang Surabaya")
    keeper = make.user("warehouse", language="en")
    page = new_page(size, locale="en-US")
    log_in(page, keeper.email)

    page.goto("/stock/receive")
    _select_by_text(page, "donor", "KOICA")
    _select_by_text(page, "kit_type", "HK-FAM")
    _select_by_text(page, "warehouse", "JKT-01")
    page.fill("input[name=reference]", "IOM-BP2MI/KOICA/2020-11")
    page.fill("input[name=lot]", "LOT-BROWSER")
    page.fill("input[name=quantity_pledged]", "5000")
    page.fill("input[name=quantity_received]", "5000")
    page.fill("input[name=quantity_damaged]", "10")
    page.fill("input[name=received_date]", "2020-12-07")
    assert_no_sideways_scroll(page)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    body = page.locator("main").inner_text()
    assert "LOT-BROWSER" in body
    assert "4,990" in body  # on hand = received - damaged, formatted for English
    assert_no_sideways_scroll(page)

    page.goto("/stock/transfer")
    _select_by_text(page, "batch", "LOT-BROWSER")
    _select_by_text(page, "from_warehouse", "JKT-01")
    _select_by_text(page, "to_warehouse", "SBY-01")
    page.fill("input[name=quantity]", "6000")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    refused = page.locator("main").inner_text()
    assert "6,000 kits needed, 4,990 available" in refused  # nothing moved

    page.fill("input[name=quantity]", "1500")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    page.goto("/stock/movements")
    ledger = page.locator("main").inner_text()
    assert "+1,500" in ledger and "-1,500" in ledger and "-10" in ledger
    assert "6,000" not in ledger
    assert_no_sideways_scroll(page)
    page.screenshot(path=tmp_path / f"ledger-{size}.png", full_page=True)
