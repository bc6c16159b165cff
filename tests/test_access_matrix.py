"""The access matrix: every route of app.url_map × every role.

MATRIX in tests/access.py says, for EVERY endpoint, which roles may use it (or that it is
PUBLIC). It is written out by hand on purpose, apart from kitlog.security.PERMISSIONS: a
permission that is widened, or a view that declares the wrong one, makes the walk fail here.

The walk logs in one browser per role (and keeps one logged out), fills every URL with the
real id or code of an object that exists (tests/access.py's samples of a report world),
and asks:
- GET: an allowed role gets the page (200, or the redirect or 404 listed in GET_ANSWERS);
  a logged-in role that is not allowed gets 403; a visitor who is not logged in is sent
  to the login form (pages) or gets 401 (API).
- POST, PUT, DELETE: only the refusal side, so nothing is written: a role not allowed gets
  403 (with a valid CSRF token, or as same-origin JSON, so it is the role that is refused),
  a visitor 401 (API) or the login form (pages).
A route missing from MATRIX fails test_every_route_is_in_the_access_matrix, so nothing new
is open by accident. The donor column holds only their dashboard, profile, their own
donor's report (another donor's answers 403) and the public pages: no household data.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import ShareLink, User
from tests.access import (
    ALL,
    GET_ANSWERS,
    MATRIX,
    OWN_DONOR,
    PUBLIC,
    QUERIES,
    REPORTS,
    ROLES,
    Browsers,
    samples,
    url_for_rule,
)
from tests.worlds import ReportWorld


def test_every_route_is_in_the_access_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(MATRIX))
    assert not missing, "add it to the access matrix (tests/access.py MATRIX): " + ", ".join(
        missing
    )
    stale = sorted(set(MATRIX) - endpoints)
    assert stale == [], "the matrix names routes that do not exist"
    for endpoint, allowed in MATRIX.items():
        assert allowed == PUBLIC or allowed <= ALL, endpoint


def test_a_donor_is_allowed_no_household_data():
    """The donor column: dashboard, profile, their own reports and share links, public."""
    donor_may = {e for e, allowed in MATRIX.items() if allowed != PUBLIC and "donor" in allowed}
    assert donor_may == {
        "main.dashboard",
        "auth.profile",
        "auth.profile_language",
        "auth.profile_password",
        "auth.create_token",
        "auth.revoke_token",
    } | {e for e, allowed in MATRIX.items() if allowed == REPORTS}
    assert all(
        not e.startswith(("households.", "api_households", "api_collectors", "api_imports"))
        for e in donor_may
    )


def _sent_to_login(response) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


def _write(client, method: str, path: str, csrf: str):
    """A write as a browser sends it: a form with its CSRF token, or same-origin JSON."""
    if path.startswith("/api/"):
        return client.open(path, method=method, json={}, headers={"Origin": "http://localhost"})
    return client.open(path, method=method, data={"csrf_token": csrf})


def test_every_route_answers_each_role_as_the_matrix_says(app, make):
    world = ReportWorld(make)
    world.play()
    s = samples(world)  # objects of DFAT, the OTHER donor, where a donor is named
    s["user_id"] = db.session.scalar(select(User.id).where(User.role == "field"))
    s["link_id"] = db.session.scalar(select(ShareLink.id))
    s["token_id"] = 1  # only a visitor is refused there (each user revokes their own)
    own = {**s, "other_donor": world.koica.code}
    browsers = Browsers(app, make, world.koica)
    wrong, asked = [], 0

    def check(role, method, path, endpoint, expected):
        nonlocal asked
        client = browsers.clients[role]
        if method == "GET":
            response = client.get(path)
        else:
            response = _write(client, method, path, browsers.tokens[role])
        asked += 1
        if expected == "login":
            ok = (
                response.status_code == 401
                if path.startswith("/api/")
                else _sent_to_login(response)
            )
        else:
            ok = response.status_code == expected
        if not ok:
            who = role or "anonymous"
            wrong.append(
                f"{who} {method} {path} ({endpoint}): {response.status_code}, expected {expected}"
            )

    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        allowed, endpoint = MATRIX[rule.endpoint], rule.endpoint
        query = QUERIES.get(endpoint, "").format(**s)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            path = url_for_rule(rule, s) + (query if method == "GET" else "")
            if allowed == PUBLIC:
                if method == "GET":  # open to anyone: no redirect to the login form
                    check(None, method, path, endpoint, 200)
                continue
            for role in (None, *ROLES):
                if role is None:
                    check(role, method, path, endpoint, "login")
                elif role not in allowed:
                    check(role, method, path, endpoint, 403)
                elif role == "donor" and endpoint in OWN_DONOR:
                    check(role, method, path, endpoint, 403)  # another donor's: never
                    if method == "GET":
                        check(role, method, url_for_rule(rule, own), endpoint, 200)
                elif method == "GET":
                    check(
                        role, method, path, endpoint, GET_ANSWERS.get(endpoint, {}).get(role, 200)
                    )
                # an allowed write is not performed: each feature's own tests do that
    assert not wrong, "the access matrix is not what the app answers:\n" + "\n".join(wrong)
    assert asked >= 600  # the walk really went through the app
