"""Helpers for the page tests: log in (in English, so the tests read the source strings),
and send forms the way a browser does, with the CSRF token from the page."""

from __future__ import annotations

import re
from html import unescape

import pytest

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "the page holds no CSRF token"
    return match.group(1)


def text_of(response) -> str:
    """The page as a reader sees its words: tags dropped, entities decoded, spaces folded."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def field_errors(response, field_id: str) -> str:
    """The error text shown next to one field (empty when there is none)."""
    html = response.get_data(as_text=True)
    match = re.search(
        rf'<div class="field-error" id="{re.escape(field_id)}-error">(.*?)</div>', html, re.S
    )
    return (
        re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", match.group(1)))).strip()
        if match
        else ""
    )


class Browser:
    """A test client that fills in forms like a person: GET the page, then POST it."""

    def __init__(self, client):
        self.client = client

    def get(self, path: str, **kw):
        return self.client.get(path, **kw)

    def submit(self, path: str, data: dict, *, page: str | None = None, **kw):
        """POST data to path with the CSRF token of `page` (default: the same path)."""
        token = csrf_token(self.client.get(page or path).get_data(as_text=True))
        return self.client.post(path, data={**data, "csrf_token": token}, **kw)


@pytest.fixture
def browser(client) -> Browser:
    return Browser(client)


@pytest.fixture
def login(auth):
    """login("warehouse") logs a new user of that role in; pages come in English."""

    def log_in(role: str = "admin", **kw):
        kw.setdefault("language", "en")
        return auth.login(role, **kw)

    return log_in
