"""Failed logins are throttled per account and address, per address, and slowed per account,
without letting anyone lock the owner (or an administrator) out of their account."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from kitlog.services import users as user_service
from tests.conftest import PASSWORD

NEW_PASSWORD = "a long new password"


def _token(client, path="/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    return match.group(1)


def _login(client, email, password, address="10.0.0.1"):
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": _token(client)},
        environ_base={"REMOTE_ADDR": address},
    )


class Clock:
    """The services' clock, moved by the test (no sleeping, no dependence on today)."""

    def __init__(self):
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(user_service, "utcnow", clock)
    return clock


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, make):
    user = make.user("admin")
    wrong_password = _login(client, user.email, "not the password")
    unknown_user = _login(client, "nobody@example.org", "not the password")
    assert wrong_password.status_code == unknown_user.status_code == 200
    assert client.get("/dashboard").status_code == 302  # still logged out


def test_five_failures_for_one_account_from_one_address_answer_429_even_with_the_right_password(
    client, make, app
):
    user = make.user("admin", language="en")
    limit = app.config["LOGIN_FAILURE_LIMIT"]
    for i in range(limit):
        assert _login(client, user.email, f"wrong {i}", address="10.0.0.7").status_code == 200
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    blocked = _login(client, user.email, PASSWORD, address="10.0.0.7")
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= app.config["LOGIN_FAILURE_WINDOW_S"]
    assert "Too many attempts" in blocked.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_failures_from_other_addresses_do_not_lock_the_administrator_out(client, make, app):
    admin = make.user("admin")
    limit = app.config["LOGIN_FAILURE_LIMIT"]
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"):
        for i in range(limit):
            _login(client, admin.email, f"guess {i}", address=address)
        assert _login(client, admin.email, PASSWORD, address=address).status_code == 429
    # The administrator, at their own desk, which has not failed: the right password works.
    assert _login(client, admin.email, PASSWORD, address="10.0.0.2").status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_after_many_failures_on_an_account_an_address_that_failed_waits_a_growing_delay(
    app, make, clock
):
    user = make.user("admin")
    after = app.config["LOGIN_FAILURE_DELAY_AFTER"]
    first = app.config["LOGIN_FAILURE_DELAY_S"]
    client = app.test_client()
    for i in range(after):  # one failure from each of several addresses
        assert _login(client, user.email, "wrong", address=f"198.51.100.{i}").status_code == 200
    again = _login(client, user.email, "wrong", address="198.51.100.0")
    assert again.status_code == 429
    assert again.headers["Retry-After"] == str(first)
    clock.advance(first)
    assert _login(client, user.email, "wrong", address="198.51.100.0").status_code == 200
    doubled = _login(client, user.email, PASSWORD, address="198.51.100.0")
    assert doubled.status_code == 429  # even the right password waits its turn
    assert doubled.headers["Retry-After"] == str(2 * first)
    clock.advance(2 * first)
    assert _login(client, user.email, PASSWORD, address="198.51.100.0").status_code == 302


@pytest.mark.parametrize(
    ("language", "says"),
    [("en", "Wait %d seconds and try again."), ("id", "Tunggu %d detik, lalu coba lagi.")],
)
def test_the_waiting_message_counts_the_seconds_in_the_browsers_language(
    app, make, clock, language, says
):
    user = make.user("admin")
    client = app.test_client()
    for i in range(app.config["LOGIN_FAILURE_DELAY_AFTER"]):
        _login(client, user.email, "wrong", address=f"198.51.100.{i}")
    page = client.post(
        "/login",
        data={"email": user.email, "password": "wrong", "csrf_token": _token(client)},
        environ_base={"REMOTE_ADDR": "198.51.100.0"},
        headers={"Accept-Language": language},
    )
    assert page.status_code == 429
    assert says % app.config["LOGIN_FAILURE_DELAY_S"] in page.get_data(as_text=True)


def test_twenty_failures_from_one_address_answer_429_for_every_account(client, make, app):
    limit = app.config["LOGIN_FAILURE_ADDRESS_LIMIT"]
    for i in range(limit):
        assert (
            _login(client, f"guess{i}@example.org", "wrong", address="10.1.1.1").status_code == 200
        )
    user = make.user("admin")
    assert _login(client, user.email, PASSWORD, address="10.1.1.1").status_code == 429
    assert _login(client, user.email, PASSWORD, address="10.2.2.2").status_code == 302


def test_a_successful_login_clears_the_failures_from_that_address(client, make, app):
    user = make.user("admin")
    limit = app.config["LOGIN_FAILURE_LIMIT"]
    for i in range(limit - 1):
        _login(client, user.email, f"wrong {i}")
    assert _login(client, user.email, PASSWORD).status_code == 302
    client = app.test_client()  # a new browser, logged out
    for i in range(limit - 1):
        _login(client, user.email, f"wrong again {i}")
    assert _login(client, user.email, PASSWORD).status_code == 302


def test_a_deactivated_user_cannot_log_in(client, make):
    from kitlog.extensions import db

    user = make.user("field")
    user.active = False
    db.session.commit()
    assert _login(client, user.email, PASSWORD).status_code == 200
    assert client.get("/dashboard").status_code == 302


def test_behind_a_trusted_proxy_the_throttle_counts_the_forwarded_address(database_url, tmp_path):
    from kitlog import create_app
    from tests.conftest import IsolatedClient

    app = create_app(
        {"DATABASE_URL": database_url, "TRUSTED_PROXIES": 1}, instance_path=str(tmp_path / "p")
    )
    app.test_client_class = IsolatedClient
    limit = app.config["LOGIN_FAILURE_ADDRESS_LIMIT"]
    with app.app_context():
        client = app.test_client()
        for i in range(limit + 1):
            response = client.post(
                "/login",
                data={"email": f"g{i}@example.org", "password": "x", "csrf_token": _token(client)},
                environ_base={"REMOTE_ADDR": "10.0.0.254"},
                headers={"X-Forwarded-For": "203.0.113.7"},
            )
        assert response.status_code == 429  # the guessing client is stopped ...
        other = client.post(
            "/login",
            data={"email": "g0@example.org", "password": "x", "csrf_token": _token(client)},
            environ_base={"REMOTE_ADDR": "10.0.0.254"},
            headers={"X-Forwarded-For": "198.51.100.9"},
        )
        assert other.status_code == 200  # ... not everyone behind the same proxy


def test_failures_older_than_the_window_stop_counting_and_are_removed(app):
    from sqlalchemy import func, select

    from kitlog.extensions import db
    from kitlog.models import LoginThrottle

    rules = user_service.ThrottleRules.from_config(app.config)
    long_ago = datetime(2020, 12, 7, 8, 0, tzinfo=UTC)
    for _ in range(rules.pair_limit):
        user_service.reserve_login_attempt(
            db.session, email="a@example.org", address="10.0.0.1", rules=rules, now=long_ago
        )
    with pytest.raises(user_service.LoginThrottled):
        user_service.reserve_login_attempt(
            db.session, email="a@example.org", address="10.0.0.1", rules=rules, now=long_ago
        )
    later = long_ago + timedelta(seconds=rules.window_s)
    user_service.reserve_login_attempt(  # a new window: allowed again
        db.session, email="a@example.org", address="10.0.0.1", rules=rules, now=later
    )
    db.session.commit()
    much_later = later + timedelta(seconds=2 * rules.window_s + 1)
    user_service.forget_old_login_counters(db.session, window_s=rules.window_s, now=much_later)
    user_service.reserve_login_attempt(
        db.session, email="b@example.org", address="10.0.0.2", rules=rules, now=much_later
    )
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(LoginThrottle)) == 3  # b's only


@pytest.mark.parametrize("earlier", [False, True], ids=["first", "after-an-old-flood"])
def test_simultaneous_wrong_passwords_are_checked_at_most_the_limit(
    app, make, monkeypatch, earlier
):
    """20 browsers send a wrong password for one account from one address at the same
    instant; each request has its own connection. At most the limit are checked, and
    none fails (the counters of an earlier flood are cleared as they are reused)."""
    import time

    from kitlog.extensions import db

    email = make.user("admin").email
    limit = app.config["LOGIN_FAILURE_LIMIT"]
    if earlier:
        rules = user_service.ThrottleRules.from_config(app.config)
        an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
        for _ in range(limit):
            user_service.reserve_login_attempt(
                db.session, email=email, address="192.0.2.50", rules=rules, now=an_hour_ago
            )
        db.session.commit()
    checked = []
    real_authenticate = user_service.authenticate

    def slow_authenticate(session, email, password):
        checked.append(email)
        time.sleep(0.3)  # a production argon2 check takes this long: the race stays open
        return real_authenticate(session, email, password)

    monkeypatch.setattr(user_service, "authenticate", slow_authenticate)
    browsers = 20
    start = threading.Barrier(browsers)
    statuses: list[int] = []

    def attempt():
        client = FlaskClient(app, use_cookies=True)  # a browser of its own, in its own thread
        token = _token(client)
        start.wait()
        response = client.post(
            "/login",
            data={"email": email, "password": "wrong", "csrf_token": token},
            environ_base={"REMOTE_ADDR": "192.0.2.50"},
        )
        statuses.append(response.status_code)

    db.session.commit()
    threads = [threading.Thread(target=attempt) for _ in range(browsers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert set(statuses) <= {200, 429}, statuses
    assert len(statuses) == browsers
    assert len(checked) <= limit, f"{len(checked)} passwords checked: {statuses}"
    assert statuses.count(200) == len(checked)
    assert statuses.count(429) == browsers - len(checked)


def test_the_current_password_on_the_profile_page_is_throttled_too(client, auth, app):
    user = auth.login("field", language="en")
    limit = app.config["LOGIN_FAILURE_LIMIT"]

    def change(current):
        return client.post(
            "/profile/password",
            data={
                "current_password": current,
                "password": NEW_PASSWORD,
                "password_confirm": NEW_PASSWORD,
                "csrf_token": _token(client, "/profile"),
            },
        )

    for i in range(limit):
        page = change(f"a guess {i}")
        assert page.status_code == 422
        assert "This is not your current password." in page.get_data(as_text=True)
    blocked = change(PASSWORD)
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers
    assert "Too many attempts" in blocked.get_data(as_text=True)
    # The password did not change.
    other = app.test_client()
    assert _login(other, user.email, PASSWORD, address="10.3.3.3").status_code == 302
