"""An administrator names a kit type and its contents in both languages on a phone page in
Indonesian: every field fits the screen, and the list shows the Indonesian names."""

from __future__ import annotations

import pytest

from tests.browser.helpers import assert_no_sideways_scroll, log_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_admin_names_a_kit_type_in_both_languages(new_page, make, size, tmp_path):
    admin = make.user("admin", language="id")
    page = new_page(size)
    log_in(page, admin.email)
    page.goto("/kit-types/new")
    page.fill("input[name=code]", "HK-FAM")
    page.fill("input[name=name]", "Family hygiene kit")
    page.fill("input[name=name_id]", "Paket kebersihan keluarga")
    page.fill("input[name=weight_kg]", "6.5")
    page.fill("input[name=volume_m3]", "0.045")
    page.fill("input[name=contents-0-quantity]", "10")
    page.fill("input[name=contents-0-unit]", "pcs")
    page.fill("input[name=contents-0-item]", "Cloth face mask")
    page.fill("input[name=contents-0-item_id]", "Masker kain")
    assert_no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / f"kit-form-{size}.png"), full_page=True)
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()

    page.goto("/kit-types")
    body = page.locator("main").inner_text()
    assert "Paket kebersihan keluarga" in body and "Masker kain" in body
    assert "Family hygiene kit" not in body
    page.screenshot(path=str(tmp_path / f"kit-list-{size}.png"), full_page=True)
