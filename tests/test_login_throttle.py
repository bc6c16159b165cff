"""Repeated failed logins answer 429, per account and per address."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD


def _token(client) -> str:
    page = client.get("/login").get_data(as_text=True)
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


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, make):
    user = make.user("admin")
    wrong_password = _login(client, user.email, "not the password")
    unknown_user = _login(client, "nobody@example.org", "not the password")
    assert wrong_password.status_code == unknown_user.status_code == 200
    assert client.get("/dashboard").status_code == 302  # still logged out


def test_repeated_failures_for_one_account_answer_429_even_with_the_right_password(
    client, make, app
):
    user = make.user("admin")
    limit = app.config["LOGIN_FAILURE_LIMIT"]
    for i in range(limit):
        assert _login(client, user.email, f"wrong {i}", address=f"10.0.0.{i}").status_code == 200
    blocked = _login(client, user.email, PASSWORD, address="10.9.9.9")
    assert blocked.status_code == 429
    assert client.get("/dashboard").status_code == 302


def test_repeated_failures_from_one_address_answer_429(client, make, app):
    limit = app.config["LOGIN_FAILURE_LIMIT"]
    for i in range(4 * limit):
        _login(client, f"guess{i}@example.org", "wrong", address="10.1.1.1")
    user = make.user("admin")
    assert _login(client, user.email, PASSWORD, address="10.1.1.1").status_code == 429
    assert _login(client, user.email, PASSWORD, address="10.2.2.2").status_code == 302


def test_a_successful_login_clears_the_account_failures(client, make, app):
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
    limit = app.config["LOGIN_FAILURE_LIMIT"]
    with app.app_context():
        client = app.test_client()
        for i in range(4 * limit + 1):
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
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, select

    from kitlog.extensions import db
    from kitlog.models import LoginFailure
    from kitlog.services import users

    window = app.config["LOGIN_FAILURE_WINDOW_S"]
    limit = app.config["LOGIN_FAILURE_LIMIT"]
    long_ago = datetime(2020, 12, 7, 8, 0, tzinfo=UTC)
    for _ in range(limit):
        users.record_login_failure(
            db.session, email="a@example.org", address="10.0.0.1", window_s=window, now=long_ago
        )
    later = long_ago + timedelta(seconds=window + 1)
    assert not users.login_throttled(
        db.session,
        email="a@example.org",
        address="10.0.0.1",
        limit=limit,
        window_s=window,
        now=later,
    )
    users.record_login_failure(
        db.session, email="b@example.org", address="10.0.0.2", window_s=window, now=later
    )
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 1
