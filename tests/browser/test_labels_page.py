"""Printing a round's labels from a phone and from a desk: a choice too big for one file
is offered in parts, each download says it is being prepared and when it has arrived, and
the file holds exactly the labels the page promised."""

from __future__ import annotations

import pytest

from kitlog.services import labels as label_service
from tests.browser.helpers import assert_no_sideways_scroll, log_in, translated
from tests.documents.pdf import decode_pages
from tests.documents.rounds import labelled_round

pytestmark = pytest.mark.browser


def _codes(path) -> set[str]:
    with open(path, "rb") as pdf:
        return {found.text for page in decode_pages(pdf.read()) for found in page}


@pytest.fixture
def big_round(app, make, monkeypatch):
    monkeypatch.setattr(label_service, "MAX_LABELS", 5)  # 6 households in Sedayu, 2 in Turen
    return labelled_round(make, villages={"Sedayu": 6, "Turen": 2})


def _labels_page(page, make, labelled):
    """A storekeeper on the round's labels page; its download button, disabled: 8 labels
    are too many for one file of at most 5."""
    log_in(page, make.user("warehouse").email)
    page.goto(f"/rounds/{labelled.round.id}/labels")
    button = page.locator("button[formaction$='labels.pdf']")
    assert button.is_disabled()
    return button


def test_a_round_too_big_for_one_file_is_printed_in_parts_from_a_phone(
    app, phone_page, make, big_round
):
    page = phone_page
    _labels_page(page, make, big_round)
    assert_no_sideways_scroll(page)
    parts = page.locator(".label-parts a")
    assert parts.count() == 2

    with page.expect_download() as arrived:
        parts.nth(1).click()
    download = arrived.value
    assert download.suggested_filename.endswith("-part-2-of-2.pdf")
    base = app.config["BASE_URL"]
    second = _codes(download.path())
    assert len(second) == 3
    status = page.locator("[data-preparing-status]")
    ready = translated("Ready: %(name)s is in your downloads.", name=download.suggested_filename)
    assert status.inner_text() == ready

    with page.expect_download() as arrived:
        parts.nth(0).click()
    first = _codes(arrived.value.path())
    assert len(first) == 5 and not first & second
    assert first | second == big_round.urls(base, big_round.parcels)


def test_choosing_one_village_on_a_desk_downloads_only_its_labels(
    app, desktop_page, make, big_round
):
    page = desktop_page
    button = _labels_page(page, make, big_round)
    page.select_option("select[name=village]", "Turen")
    assert button.is_enabled()  # another choice may fit in one file
    with page.expect_download() as arrived:
        button.click()
    turen = big_round.urls(app.config["BASE_URL"], big_round.parcels_where(village="Turen"))
    assert _codes(arrived.value.path()) == turen
    assert page.locator("[data-preparing-status]").is_visible()

    # a choice that is still too big: the server's answer, the form with its message
    page.select_option("select[name=village]", "")
    with page.expect_navigation():
        button.click()
    assert "labels.pdf" in page.url
    alert = page.get_by_role("alert")
    assert alert.is_visible() and "8" in alert.inner_text()
    assert page.locator(".label-parts a").count() == 2


def test_choosing_a_village_on_a_phone_counts_its_labels_at_once(app, phone_page, make, big_round):
    """No "Count the labels" tap: the count follows the village chosen, on the same page."""
    page = phone_page
    _labels_page(page, make, big_round)
    page.evaluate("window.stayedOnThePage = true")
    count = page.locator(".label-count")
    sheets = translated("on %(num)s sheet", num="1")
    page.select_option("select[name=village]", "Turen")
    label = translated("%(num)s label", num="2")
    page.wait_for_function(
        "text => document.querySelector('.label-count').innerText.includes(text)", arg=label
    )
    assert sheets in count.inner_text()
    assert page.locator(".label-parts a").count() == 0  # 2 labels fit in one file
    assert page.evaluate("window.stayedOnThePage") is True  # counted without a submit
