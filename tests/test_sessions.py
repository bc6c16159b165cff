"""A new password ends the user's other sessions; the one that changed it goes on."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD


def _csrf(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _log_in(app, email, password=PASSWORD):
    client = app.test_client()
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": _csrf(client, "/login")}
    )
    assert response.status_code == 302
    return client


def test_changing_my_password_logs_out_my_other_devices_but_not_this_one(app, make):
    user = make.user("field", language="en")
    phone, laptop = _log_in(app, user.email), _log_in(app, user.email)
    response = phone.post(
        "/profile/password",
        data={
            "current_password": PASSWORD,
            "password": "a brand new passphrase",
            "password_confirm": "a brand new passphrase",
            "csrf_token": _csrf(phone, "/profile"),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert phone.get("/dashboard").status_code == 200
    assert laptop.get("/dashboard").status_code == 302  # sent to the login form
    laptop.delete_cookie("session")  # the remember-me cookie alone does not get back in
    assert laptop.get("/dashboard").status_code == 302
    _log_in(app, user.email, "a brand new passphrase")


def test_an_admin_resetting_a_password_ends_the_users_sessions(app, make):
    admin = make.user("admin", language="en")
    user = make.user("warehouse")
    victim = _log_in(app, user.email)
    assert victim.get("/dashboard").status_code == 200
    desk = _log_in(app, admin.email)
    response = desk.post(
        f"/admin/users/{user.id}/password",
        data={
            "password": "another long passphrase",
            "password_confirm": "another long passphrase",
            "csrf_token": _csrf(desk, f"/admin/users/{user.id}"),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert victim.get("/dashboard").status_code == 302


def test_a_deactivated_user_is_logged_out_at_once(app, make):
    from kitlog.extensions import db

    user = make.user("warehouse")
    client = _log_in(app, user.email)
    user.active = False
    db.session.commit()
    assert client.get("/dashboard").status_code == 302
