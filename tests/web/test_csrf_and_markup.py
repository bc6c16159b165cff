"""Forms need their CSRF token, and pages carry no inline script, style or handler
(a strict Content-Security-Policy comes later)."""

from __future__ import annotations

import re

import pytest

from kitlog.extensions import db
from kitlog.models import Donor
from tests.web.conftest import text_of
from tests.web.pages import PAGES


def test_a_form_posted_without_the_csrf_token_is_refused_and_changes_nothing(client, login):
    login("admin")
    response = client.post("/donors/new", data={"code": "ECHO", "name": "ECHO"})
    assert response.status_code == 400
    assert "The form expired. Please try again." in text_of(response)
    assert db.session.query(Donor).count() == 0


def test_logging_out_needs_the_csrf_token_too(client, login):
    login("warehouse")
    assert client.post("/logout").status_code == 400
    assert client.get("/dashboard").status_code == 200  # still logged in


def test_logging_out_is_a_button_in_the_menu(browser, login):
    login("warehouse")
    html = browser.get("/dashboard").get_data(as_text=True)
    assert re.search(r'<form method="post" action="/logout"[ >]', html)
    response = browser.submit("/logout", {}, page="/dashboard")
    assert response.headers["Location"].endswith("/login")
    assert browser.get("/dashboard").status_code == 302


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_script_style_or_event_handler(client, auth, make, path):
    batch = make.batch(received=5)
    if path != "/":
        auth.login("admin")
    html = client.get(path.format(batch=batch.id)).get_data(as_text=True)
    assert "<html lang=" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"<style\b", html), "inline <style>"
    assert not re.search(r"\sstyle=", html), "style= attribute"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert 'href="/static/css/kitlog.css"' in html


def test_pages_are_in_indonesian_by_default_and_follow_accept_language(client):
    assert '<html lang="id">' in client.get("/").get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.get_data(as_text=True)
