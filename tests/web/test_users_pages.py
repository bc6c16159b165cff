"""User administration: create, edit, reset a password; a donor user has a donor."""

from __future__ import annotations

from kitlog.extensions import db
from kitlog.models import User
from tests.conftest import PASSWORD
from tests.web.conftest import csrf_token, field_errors, text_of

NEW_PASSWORD = "a long new password"


def _new_user(**overrides) -> dict:
    data = {
        "email": "staff@koica.example",
        "name": "Kim Ji-woo",
        "role": "donor",
        "donor": "",
        "language": "en",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def _user(email: str) -> User | None:
    db.session.expire_all()
    return db.session.query(User).filter_by(email=email).one_or_none()


def test_the_admin_creates_a_donor_user_linked_to_a_donor(browser, login, make):
    koica = make.donor("KOICA")
    login("admin")
    response = browser.submit("/admin/users/new", _new_user(donor=koica.id))
    assert response.status_code == 302
    user = _user("staff@koica.example")
    assert (user.role, user.donor_id, user.language) == ("donor", koica.id, "en")
    listing = text_of(browser.get("/admin/users"))
    assert "Kim Ji-woo" in listing and "Donor · KOICA" in listing


def test_a_donor_user_without_a_donor_is_refused(browser, login, make):
    make.donor("KOICA")
    login("admin")
    response = browser.submit("/admin/users/new", _new_user(donor=""))
    assert response.status_code == 422
    assert "A donor user must be linked to a donor." in field_errors(response, "donor")
    assert _user("staff@koica.example") is None


def test_the_two_passwords_must_match(browser, login):
    login("admin")
    response = browser.submit(
        "/admin/users/new", _new_user(role="field", password_confirm="something else")
    )
    assert response.status_code == 422
    assert "The two passwords are not the same." in field_errors(response, "password_confirm")
    assert _user("staff@koica.example") is None


def test_a_duplicate_email_is_shown_on_the_email_field(browser, login, make):
    make.user("field", email="staff@koica.example")
    login("admin")
    response = browser.submit("/admin/users/new", _new_user(role="field"))
    assert response.status_code == 422
    assert "A user with this email already exists." in field_errors(response, "email")


def test_the_admin_edits_a_user_and_deactivates_them(browser, login, make):
    user = make.user("field", email="officer@example.org")
    login("admin")
    form = browser.get(f"/admin/users/{user.id}")
    assert 'value="Field User"' in form.get_data(as_text=True)
    response = browser.submit(
        f"/admin/users/{user.id}",
        {"name": "Siti R.", "role": "warehouse", "donor": "", "language": "en"},  # no "active"
    )
    assert response.status_code == 302
    changed = _user("officer@example.org")
    assert (changed.name, changed.role, changed.active) == ("Siti R.", "warehouse", False)
    assert "deactivated" in text_of(browser.get("/admin/users"))


def test_an_admin_cannot_demote_themself(browser, login):
    admin = login("admin")
    response = browser.submit(
        f"/admin/users/{admin.id}",
        {"name": admin.name, "role": "field", "donor": "", "language": "en", "active": "y"},
    )
    assert response.status_code == 422
    assert "You cannot change your own role or deactivate yourself." in field_errors(
        response, "role"
    )
    assert _user(admin.email).role == "admin"


def test_the_admin_resets_a_password_and_the_user_logs_in_with_it(browser, login, make, app):
    user = make.user("field", email="officer@example.org")
    login("admin")
    response = browser.submit(
        f"/admin/users/{user.id}/password",
        {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
        page=f"/admin/users/{user.id}",
    )
    assert response.status_code == 302

    fresh = app.test_client()
    token = csrf_token(fresh.get("/login").get_data(as_text=True))
    old = fresh.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert old.status_code == 200  # refused: the old password is gone
    new = fresh.post(
        "/login", data={"email": user.email, "password": NEW_PASSWORD, "csrf_token": token}
    )
    assert new.status_code == 302


def test_a_too_short_reset_password_is_refused_on_its_field(browser, login, make):
    user = make.user("field")
    login("admin")
    response = browser.submit(
        f"/admin/users/{user.id}/password",
        {"password": "short", "password_confirm": "short"},
        page=f"/admin/users/{user.id}",
    )
    assert response.status_code == 422
    assert "Use at least 10 characters for the password." in field_errors(response, "password")
