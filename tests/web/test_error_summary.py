"""A refused form lists what went wrong at the top, before the fields: each field's
refusal is a link to that field, so a phone user (or a screen reader, which the page's
script puts there) starts from the list and reaches each field in one tap."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.web.conftest import text_of


class _Summary(HTMLParser):
    """The error summary's attributes, its links (href, text) and the ids on the page."""

    def __init__(self):
        super().__init__()
        self.summary: dict | None = None
        self.depth = 0
        self.links: list[list[str]] = []
        self.ids: set[str] = set()
        self.heading = ""
        self._in_link = False
        self._in_heading = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if self.summary is None and "data-error-summary" in attributes:
            self.summary = attributes
            self.depth = 1
            return
        if self.depth:
            if tag == "div":
                self.depth += 1
            if tag == "a":
                self.links.append([attributes.get("href", ""), ""])
                self._in_link = True
            if tag == "h2":
                self._in_heading = True

    def handle_endtag(self, tag):
        if tag == "a":
            self._in_link = False
        if tag == "h2":
            self._in_heading = False
        if self.depth and tag == "div":
            self.depth -= 1

    def handle_data(self, data):
        if self._in_link:
            self.links[-1][1] += data
        if self._in_heading:
            self.heading += data


def summary_of(response) -> _Summary:
    parser = _Summary()
    parser.feed(response.get_data(as_text=True))
    return parser


def _refused_receipt(browser, login, make, **values):
    donor, kit, warehouse = make.donor("KOICA"), make.kit_type(), make.warehouse("JKT-01")
    login("warehouse", language="en")
    data = {
        "donor": donor.id,
        "kit_type": kit.id,
        "warehouse": warehouse.id,
        "reference": "AGR",
        "lot": "L1",
        "quantity_pledged": "10",
        "quantity_received": "10",
        "quantity_damaged": "0",
        "received_date": "2020-12-07",
    }
    data.update(values)
    return browser.submit("/stock/receive", data)


def test_a_refused_receipt_lists_each_field_error_as_a_link_to_the_field(browser, login, make):
    response = _refused_receipt(
        browser, login, make, quantity_received="ten", received_date="someday", lot=""
    )
    assert response.status_code == 422
    summary = summary_of(response)
    assert summary.summary is not None, "no error summary on the refused form"
    assert summary.summary.get("tabindex") == "-1"  # the script can put the focus there
    assert summary.summary.get("role") == "alert"
    assert "Nothing was saved" in summary.heading
    targets = list(dict.fromkeys(href for href, _ in summary.links))
    assert targets == ["#lot", "#quantity_received", "#received_date"], summary.links
    for href in targets:
        assert href[1:] in summary.ids, f"{href} leads nowhere"
    assert ["#quantity_received", "Kits received: Not a valid integer value."] in summary.links


def test_a_service_refusal_on_a_field_is_listed_with_its_link_too(browser, login, make):
    response = _refused_receipt(browser, login, make, quantity_damaged="11")
    assert response.status_code == 422
    summary = summary_of(response)
    assert [href for href, _ in summary.links] == ["#quantity_damaged"]
    assert "Damaged kits cannot be more than the kits received." in summary.links[0][1]


def test_the_summary_speaks_indonesian_to_an_indonesian_user(browser, login, make):
    donor, kit, warehouse = make.donor("KOICA"), make.kit_type(), make.warehouse("JKT-01")
    login("warehouse", language="id")
    response = browser.submit(
        "/stock/receive",
        {
            "donor": donor.id,
            "kit_type": kit.id,
            "warehouse": warehouse.id,
            "reference": "AGR",
            "lot": "L1",
            "quantity_pledged": "10",
            "quantity_received": "sepuluh",
            "quantity_damaged": "0",
            "received_date": "2020-12-07",
        },
    )
    summary = summary_of(response)
    assert "Belum ada yang disimpan" in summary.heading
    assert {href for href, _ in summary.links} == {"#quantity_received"}


def test_a_form_without_errors_has_no_summary(browser, login, make):
    login("warehouse")
    response = browser.get("/stock/receive")
    assert summary_of(response).summary is None
    assert "Nothing was saved" not in text_of(response)
