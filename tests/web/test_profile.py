"""The profile: language kept on the user, own password, own API tokens."""

from __future__ import annotations

import re

from kitlog.extensions import db
from kitlog.models import ApiToken, User
from tests.conftest import PASSWORD
from tests.web.conftest import field_errors, text_of


def test_changing_the_language_on_the_profile_keeps_it_and_the_next_page_is_english(browser, auth):
    user = auth.login("warehouse", language="id")
    assert '<html lang="id">' in browser.get("/dashboard").get_data(as_text=True)
    response = browser.submit("/profile/language", {"language": "en"}, page="/profile")
    assert response.status_code == 302
    assert '<html lang="en">' in browser.get("/dashboard").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).language == "en"


def test_the_language_switch_in_the_menu_works_and_returns_to_the_same_page(browser, auth):
    auth.login("admin", language="id")
    response = browser.submit(
        "/language", {"language": "en", "next": "/stock/batches"}, page="/dashboard"
    )
    assert response.headers["Location"] == "/stock/batches"
    assert '<html lang="en">' in browser.get("/stock/batches").get_data(as_text=True)


def test_the_language_switch_never_redirects_off_the_site(browser, auth):
    auth.login("admin")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = browser.submit(
            "/language", {"language": "en", "next": target}, page="/dashboard"
        )
        assert response.headers["Location"] == "/dashboard", target


def test_a_token_created_on_the_profile_is_shown_once_and_works_as_a_bearer(browser, login, app):
    login("warehouse")
    response = browser.submit("/profile/tokens", {"name": "Stock spreadsheet"}, page="/profile")
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    token = re.search(r'id="new-token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert token, "the new token is not shown"
    token = token.group(1)
    assert "it is shown only this once" in text_of(response)

    profile = browser.get("/profile").get_data(as_text=True)
    assert "Stock spreadsheet" in profile
    assert token not in profile  # never shown again

    no_session = app.test_client()  # the token alone, without the browser's session
    api = no_session.get("/api/v1/donors", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    assert "items" in api.get_json()


def test_a_revoked_token_stops_working(browser, login, app):
    user = login("warehouse")
    created = browser.submit("/profile/tokens", {"name": "Old script"}, page="/profile")
    token = re.search(r'id="new-token"[^>]*value="([^"]+)"', created.get_data(as_text=True))[1]
    record = db.session.query(ApiToken).filter_by(user_id=user.id).one()
    response = browser.submit(f"/profile/tokens/{record.id}/revoke", {}, page="/profile")
    assert response.status_code == 302
    assert "is revoked" in text_of(browser.get("/profile"))
    no_session = app.test_client()
    api = no_session.get("/api/v1/donors", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401


def test_nobody_revokes_another_users_token(browser, login, make):
    other = make.user("admin")
    make.token(other)
    record = db.session.query(ApiToken).filter_by(user_id=other.id).one()
    login("warehouse")
    response = browser.submit(f"/profile/tokens/{record.id}/revoke", {}, page="/profile")
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, record.id).revoked_at is None


def test_changing_the_password_needs_the_current_one(browser, login):
    user = login("field")
    wrong = browser.submit(
        "/profile/password",
        {
            "current_password": "not it at all",
            "password": "a new long password",
            "password_confirm": "a new long password",
        },
        page="/profile",
    )
    assert wrong.status_code == 422
    assert "This is not your current password." in field_errors(wrong, "current_password")
    old_hash = user.password_hash

    right = browser.submit(
        "/profile/password",
        {
            "current_password": PASSWORD,
            "password": "a new long password",
            "password_confirm": "a new long password",
        },
        page="/profile",
    )
    assert right.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash != old_hash


def test_the_new_password_twice_must_match(browser, login):
    login("field")
    response = browser.submit(
        "/profile/password",
        {
            "current_password": PASSWORD,
            "password": "a new long password",
            "password_confirm": "another long password",
        },
        page="/profile",
    )
    assert response.status_code == 422
    assert "The two new passwords are not the same." in field_errors(response, "password_confirm")
