"""What a screen reader is told about a page's fields: no field is announced as invalid
before anything was typed, every id is unique, and every field has its own label."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

import pytest

from tests.web.pages import PAGES
from tests.worlds import DoorWorld


class _Fields(HTMLParser):
    """The ids, labels and form fields of a page."""

    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.label_for: list[str] = []
        self.fields: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "label" and attributes.get("for"):
            self.label_for.append(attributes["for"])
        if tag in ("input", "select", "textarea") and attributes.get("type") not in (
            "hidden",
            "submit",
        ):
            self.fields.append(attributes)


def fields_of(html: str) -> _Fields:
    parser = _Fields()
    parser.feed(html)
    return parser


def duplicates(html: str) -> list[str]:
    return sorted(id_ for id_, n in Counter(fields_of(html).ids).items() if n > 1)


@pytest.mark.parametrize("path", [*PAGES, "/households/new", "/manifests/new"])
def test_no_page_announces_a_field_as_invalid_with_the_word_none(client, auth, make, path):
    batch = make.batch(received=5)
    auth.login("admin")
    html = client.get(path.format(batch=batch.id)).get_data(as_text=True)
    assert 'aria-invalid="None"' not in html
    assert duplicates(html) == []


def test_the_code_field_on_the_delivery_page_is_invalid_only_after_a_bad_code(client, login, make):
    world = DoorWorld(make)
    world.dispatch([world.parcels[0]])
    login("field")
    # the attribute, not the stylesheet's [aria-invalid="true"] (in the page's first load)
    for path in ("/deliver/", f"/deliver/?code={world.parcels[0].short_code}"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"\saria-invalid=", html), path
        assert duplicates(html) == [], path
    html = client.get("/deliver/?code=ZZZZZZZZ").get_data(as_text=True)
    assert re.search(r'\saria-invalid="true"', html)
    assert 'aria-invalid="None"' not in html


def test_the_scan_station_marks_no_field_invalid_on_a_first_visit(client, login, make):
    make.warehouse("SBY-01")
    login("warehouse")
    html = client.get("/scan/").get_data(as_text=True)
    assert "aria-invalid" not in html
    assert duplicates(html) == []


def test_on_the_profile_every_id_is_unique_and_every_field_has_its_own_label(client, login):
    login("admin")
    html = client.get("/profile").get_data(as_text=True)
    page = fields_of(html)
    assert duplicates(html) == []
    names = {field["name"] for field in page.fields}
    assert {"language", "current_password", "password", "password_confirm"} <= names
    for field in page.fields:
        assert field.get("id"), field
        assert page.label_for.count(field["id"]) == 1, field
        assert page.ids.count(field["id"]) == 1, field


def test_a_refused_password_change_keeps_ids_unique(browser, login):
    login("admin")
    response = browser.submit(
        "/profile/password",
        {"current_password": "wrong", "password": "a", "password_confirm": "b"},
        page="/profile",
    )
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html
    assert duplicates(html) == []
