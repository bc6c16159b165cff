"""Login sessions live on the server: logging out, a new password or a deactivation ends
them, and a copied cookie (session or remember-me) stops working with them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from kitlog.services import users as user_service
from tests.conftest import PASSWORD


def _csrf(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _log_in(app, email, password=PASSWORD, remember=False):
    client = app.test_client()
    data = {"email": email, "password": password, "csrf_token": _csrf(client, "/login")}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return client


def _log_out(client):
    return client.post("/logout", data={"csrf_token": _csrf(client, "/dashboard")})


def _copy(app, client, *names):
    """A second browser holding copies of some of the first one's cookies."""
    thief = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def _logged_in(client) -> bool:
    return client.get("/dashboard").status_code == 200


class Clock:
    def __init__(self):
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(user_service, "utcnow", clock)
    return clock


# -- logging out --------------------------------------------------------------------------


def test_a_session_cookie_copied_before_logging_out_stops_working(app, make):
    user = make.user("field")
    browser = _log_in(app, user.email)
    copy = _copy(app, browser, "session")
    assert _logged_in(copy)
    assert _log_out(browser).status_code == 302
    assert not _logged_in(browser)
    assert not _logged_in(copy)  # the server ended the session, not only the browser


def test_a_remember_me_cookie_copied_before_logging_out_stops_working(app, make):
    user = make.user("field")
    browser = _log_in(app, user.email, remember=True)
    copy = _copy(app, browser, "remember_token")
    assert _logged_in(copy)  # the remember-me cookie alone gets back in ...
    _log_out(browser)
    assert not _logged_in(_copy(app, copy, "remember_token"))  # ... until the logout


def test_logging_out_on_one_device_leaves_the_others_logged_in(app, make):
    user = make.user("warehouse")
    phone, laptop = _log_in(app, user.email), _log_in(app, user.email, remember=True)
    _log_out(phone)
    assert not _logged_in(phone)
    assert _logged_in(laptop)


# -- remember me --------------------------------------------------------------------------


def test_remember_me_is_a_choice_unticked_by_default(app, make):
    page = app.test_client().get("/login").get_data(as_text=True)
    checkbox = re.search(r'<input[^>]*name="remember"[^>]*>', page)
    assert checkbox is not None
    assert "checked" not in checkbox.group(0)
    user = make.user("field")
    assert _log_in(app, user.email).get_cookie("remember_token") is None
    assert _log_in(app, user.email, remember=True).get_cookie("remember_token") is not None


def test_remember_me_lasts_at_most_30_days_in_the_cookie(app, make):
    user = make.user("field")
    client = app.test_client()
    response = client.post(
        "/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "remember": "y",
            "csrf_token": _csrf(client, "/login"),
        },
    )
    header = next(h for h in response.headers.getlist("Set-Cookie") if "remember_token" in h)
    expires = re.search(r"Expires=([^;]+)", header).group(1)
    expires_at = datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    assert expires_at <= datetime.now(UTC) + timedelta(days=30, minutes=1)


def test_a_remembered_session_ends_on_the_server_after_30_days(app, make, clock):
    user = make.user("field")
    browser = _log_in(app, user.email, remember=True)
    clock.now += timedelta(days=29)
    assert _logged_in(_copy(app, browser, "remember_token"))
    clock.now += timedelta(days=1, seconds=1)
    assert not _logged_in(_copy(app, browser, "remember_token"))
    assert not _logged_in(browser)


def test_a_session_without_remember_me_ends_on_the_server_after_its_hours(app, make, clock):
    user = make.user("field")
    browser = _log_in(app, user.email)
    hours = app.config["LOGIN_SESSION_DURATION"]
    clock.now += hours - timedelta(minutes=1)
    assert _logged_in(browser)
    clock.now += timedelta(minutes=2)
    assert not _logged_in(browser)


# -- a new password -----------------------------------------------------------------------


def _change_my_password(client, new, **extra):
    return client.post(
        "/profile/password",
        data={
            "current_password": PASSWORD,
            "password": new,
            "password_confirm": new,
            "csrf_token": _csrf(client, "/profile"),
            **extra,
        },
    )


def test_changing_my_password_logs_out_my_other_devices_but_not_this_one(app, make):
    user = make.user("field", language="en")
    phone, laptop = _log_in(app, user.email), _log_in(app, user.email, remember=True)
    response = _change_my_password(phone, "a brand new passphrase")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert _logged_in(phone)
    assert not _logged_in(laptop)  # sent to the login form
    assert not _logged_in(_copy(app, laptop, "remember_token"))  # the remember-me cookie too
    _log_in(app, user.email, "a brand new passphrase")


def test_an_admin_resetting_a_password_ends_the_users_sessions(app, make):
    admin = make.user("admin", language="en")
    user = make.user("warehouse")
    victim = _log_in(app, user.email, remember=True)
    assert _logged_in(victim)
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
    assert not _logged_in(victim)
    assert not _logged_in(_copy(app, victim, "remember_token"))
    assert _logged_in(desk)


def _api_works(app, token) -> bool:
    response = app.test_client().get("/api/v1/rounds", headers={"Authorization": f"Bearer {token}"})
    return response.status_code == 200


def test_a_new_password_from_the_profile_revokes_my_api_tokens(app, make):
    user = make.user("warehouse", language="en")
    token = make.token(user)
    assert _api_works(app, token)
    browser = _log_in(app, user.email)
    assert _change_my_password(browser, "a brand new passphrase").status_code == 302
    assert not _api_works(app, token)
    page = browser.get("/profile").get_data(as_text=True)
    assert "revoked" in page


def test_keeping_my_api_tokens_is_an_explicit_choice(app, make):
    user = make.user("warehouse", language="en")
    token = make.token(user)
    browser = _log_in(app, user.email)
    page = browser.get("/profile").get_data(as_text=True)
    checkbox = re.search(r'<input[^>]*name="keep_tokens"[^>]*>', page)
    assert checkbox is not None and "checked" not in checkbox.group(0)
    response = _change_my_password(browser, "a brand new passphrase", keep_tokens="y")
    assert response.status_code == 302
    assert _api_works(app, token)


@pytest.mark.parametrize(("keep", "works"), [(False, False), (True, True)])
def test_an_admin_reset_revokes_the_users_api_tokens_unless_kept(app, make, keep, works):
    admin = make.user("admin", language="en")
    user = make.user("warehouse")
    token = make.token(user)
    desk = _log_in(app, admin.email)
    page = desk.get(f"/admin/users/{user.id}").get_data(as_text=True)
    checkbox = re.search(r'<input[^>]*name="keep_tokens"[^>]*>', page)
    assert checkbox is not None and "checked" not in checkbox.group(0)
    data = {
        "password": "another long passphrase",
        "password_confirm": "another long passphrase",
        "csrf_token": _csrf(desk, f"/admin/users/{user.id}"),
    }
    if keep:
        data["keep_tokens"] = "y"
    assert desk.post(f"/admin/users/{user.id}/password", data=data).status_code == 302
    assert _api_works(app, token) is works


# -- deactivation -------------------------------------------------------------------------


def test_a_deactivated_user_is_logged_out_at_once(app, make):
    from kitlog.extensions import db

    user = make.user("warehouse")
    client = _log_in(app, user.email)
    user.active = False
    db.session.commit()
    assert not _logged_in(client)


def _set_active(desk, user, active: bool):
    data = {
        "name": user.name,
        "role": user.role,
        "language": user.language,
        "csrf_token": _csrf(desk, f"/admin/users/{user.id}"),
    }
    if active:
        data["active"] = "y"
    response = desk.post(f"/admin/users/{user.id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def test_reactivating_a_user_does_not_bring_their_old_sessions_back(app, make):
    admin = make.user("admin", language="en")
    user = make.user("field")
    browser = _log_in(app, user.email, remember=True)
    copy = _copy(app, browser, "remember_token")
    desk = _log_in(app, admin.email)
    _set_active(desk, user, False)
    assert not _logged_in(browser)
    _set_active(desk, user, True)
    assert not _logged_in(browser)
    assert not _logged_in(copy)
    assert _logged_in(_log_in(app, user.email))  # a new login works again
