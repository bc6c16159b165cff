"""Web security: CSRF on every form, session cookies, passwords and
tokens at rest, and the request size limit.

Covered elsewhere, not repeated here: the security headers (tests/test_security_headers.py),
login throttling per account and per address (tests/test_login_throttle.py), the 20 MB
household import limit on the page and the API (tests/web/test_import_pages.py,
tests/api/test_household_import.py), a short password refused by the CLI and on an admin's
reset (tests/cli/test_commands.py, tests/web/test_users_pages.py), CLI tokens stored as a
hash (tests/cli/test_commands.py).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from http.cookies import SimpleCookie

import pytest
from sqlalchemy import func, select, text

import config as kitlog_config
from kitlog.extensions import db
from kitlog.models import ApiToken, Donor, Household, StockMovement, User
from tests.access import MATRIX, PUBLIC, QUERIES, Browsers, samples, url_for_rule
from tests.conftest import PASSWORD, IsolatedClient
from tests.web.conftest import csrf_token, field_errors, text_of
from tests.worlds import ReportWorld

# -- CSRF ------------------------------------------------------------------------------------


class FormParser(HTMLParser):
    """Every <form> of a page: its method, action and the names of its hidden inputs."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._open = {
                "method": (attrs.get("method") or "get").lower(),
                "action": attrs.get("action") or "",
                "hidden": set(),
            }
            self.forms.append(self._open)
        elif self._open is not None and tag == "input" and attrs.get("type") == "hidden":
            self._open["hidden"] |= {attrs.get("name")} if attrs.get("value") else set()

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def forms_of(html: str) -> list[dict]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def test_forms_are_parsed_as_a_browser_sees_them():
    """The walk below can fail: a post form without its token is seen as such."""
    html = (
        '<form method="post" action="/a"><input type="hidden" name="csrf_token" value="t">'
        '</form><form method="POST" action="/b"><input name="x"></form>'
        '<form action="/search"><input name="q"></form>'
    )
    forms = forms_of(html)
    assert [(f["method"], f["action"], "csrf_token" in f["hidden"]) for f in forms] == [
        ("post", "/a", True),
        ("post", "/b", False),
        ("get", "/search", False),
    ]


def test_every_post_form_on_every_page_carries_a_csrf_token(app, make):
    """Every GET page, with real objects, as the admin (who may open every page staff
    can), a donor (their own report and share links) and a visitor: each
    <form method="post"> holds a filled csrf_token hidden input (a prefixed form's is
    `<prefix>-csrf_token`, which Flask-WTF finds too; forms that post JSON to /api/ need
    none)."""
    world = ReportWorld(make)
    world.play()
    s = samples(world)
    s["user_id"] = db.session.scalar(select(User.id).where(User.role == "field"))
    own = {**s, "other_donor": world.koica.code}
    browsers = Browsers(app, make, world.koica)
    missing, post_forms, pages = [], 0, 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        allowed = MATRIX.get(rule.endpoint)
        if "GET" not in rule.methods or rule.endpoint == "static" or allowed is None:
            continue
        query = QUERIES.get(rule.endpoint, "").format(**s)
        for role in (None, "admin", "donor"):  # the admin holds every other role's pages
            if allowed != PUBLIC and (role is None or role not in allowed):
                continue
            values = own if role == "donor" else s
            response = browsers.clients[role].get(url_for_rule(rule, values) + query)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            pages += 1
            for form in forms_of(response.get_data(as_text=True)):
                if form["method"] != "post" or form["action"].startswith("/api/"):
                    continue
                post_forms += 1
                if not any(name.endswith("csrf_token") for name in form["hidden"] if name):
                    missing.append(f"{role or 'anonymous'} {rule.rule} → {form['action']}")
    assert not missing, "post forms without a CSRF token:\n" + "\n".join(missing)
    assert pages >= 50 and post_forms >= 200  # the walk really saw the app's forms


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    ("role", "path", "data", "model"),
    [
        ("field", "/households/new", {"head_name": "Siti", "consent": "y"}, Household),
        ("warehouse", "/stock/receive", {"quantity_received": "10"}, StockMovement),
        ("donor", "/profile/tokens", {"name": "spreadsheet"}, ApiToken),
        ("admin", "/admin/users/new", {"email": "new@example.org", "role": "field"}, User),
    ],
)
def test_a_form_posted_without_its_token_is_400_and_changes_nothing(
    client, auth, role, path, data, model
):
    auth.login(role, language="en")
    before = _count(model)
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "The form expired. Please try again." in text_of(response)
    assert _count(model) == before
    forged = client.post(path, data={**data, "csrf_token": "forged"})
    assert forged.status_code == 400
    assert _count(model) == before


def test_changing_a_password_without_the_token_changes_nothing(client, auth):
    user = auth.login("field", language="en")
    old_hash = user.password_hash
    new = "a brand new passphrase"
    response = client.post(
        "/profile/password",
        data={"current_password": PASSWORD, "password": new, "password_confirm": new},
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == old_hash


def test_a_json_write_from_another_site_with_the_session_cookie_is_refused(client, auth):
    """The JSON API takes no CSRF token only from kitlog's own pages (Origin)."""
    auth.login("admin", language="en")
    body = {"code": "ECHO", "name": "ECHO", "country": "Belgium"}
    evil = client.post("/api/v1/donors", json=body, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 400
    assert "CSRF" in evil.get_json()["detail"]
    no_origin = client.post("/api/v1/donors", json=body)  # neither Origin nor Sec-Fetch-Site
    assert no_origin.status_code == 400
    cross = client.post("/api/v1/donors", json=body, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 400
    assert _count(Donor) == 0
    own = client.post("/api/v1/donors", json=body, headers={"Origin": "http://localhost"})
    assert own.status_code == 201  # the same request from kitlog's own page goes through
    assert _count(Donor) == 1


# -- session cookies -------------------------------------------------------------------------


def _cookies(response) -> dict[str, str]:
    """Set-Cookie headers by cookie name, each the header's whole text."""
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        name = SimpleCookie(header.split(";", 1)[0] + ";")
        found[next(iter(name))] = header
    return found


def _attributes(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(";")[1:]}


def _log_in(client, email, **kw):
    token = csrf_token(client.get("/login", **kw).get_data(as_text=True))
    data = {"email": email, "password": PASSWORD, "remember": "y", "csrf_token": token}
    response = client.post("/login", data=data, **kw)  # "remember me" sets the second cookie
    assert response.status_code == 302
    return _cookies(response)


def test_session_and_remember_cookies_are_httponly_and_samesite_lax(app, client, make):
    user = make.user("field")
    cookies = _log_in(client, user.email)
    assert {"session", "remember_token"} <= set(cookies)
    for name in ("session", "remember_token"):
        attributes = _attributes(cookies[name])
        assert "httponly" in attributes, name
        assert "samesite=lax" in attributes, name


def test_in_production_both_cookies_are_secure(monkeypatch, database_url, tmp_path, make):
    """KITLOG_ENV=production (config.ProductionConfig): cookies only over HTTPS."""
    from kitlog import create_app

    user = make.user("warehouse")
    monkeypatch.setenv("KITLOG_ENV", "production")
    monkeypatch.setattr(kitlog_config.ProductionConfig, "DATABASE_URL", database_url)
    monkeypatch.setattr(kitlog_config.ProductionConfig, "SECRET_KEY", "a-shared-production-key")
    production = create_app(instance_path=str(tmp_path / "production"))
    assert production.config["SESSION_COOKIE_SECURE"] is True
    production.test_client_class = IsolatedClient
    with production.app_context():
        client = production.test_client()
        # over HTTPS Flask-WTF also wants a same-site Referer (Referrer-Policy: same-origin)
        cookies = _log_in(
            client,
            user.email,
            base_url="https://kits.example.org",
            headers={"Referer": "https://kits.example.org/login"},
        )
    for name in ("session", "remember_token"):
        attributes = _attributes(cookies[name])
        assert {"secure", "httponly", "samesite=lax"} <= attributes, (name, attributes)


# -- passwords and tokens at rest ------------------------------------------------------------


def test_passwords_are_stored_as_argon2id_hashes(make):
    user = make.user("admin")
    stored = db.session.execute(
        text("SELECT password_hash FROM users WHERE id = :id"), {"id": user.id}
    ).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_a_short_new_password_is_refused_on_the_profile_and_nothing_changes(client, auth):
    user = auth.login("field", language="en")
    old_hash = user.password_hash
    short = "short1234"  # 9 characters: one too few
    response = client.post(
        "/profile/password",
        data={
            "current_password": PASSWORD,
            "password": short,
            "password_confirm": short,
            "csrf_token": auth.csrf_token("/profile"),
        },
    )
    assert response.status_code == 422
    assert "Use at least 10 characters for the password." in field_errors(response, "password")
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == old_hash


def test_a_token_made_on_the_profile_is_kept_only_as_a_hash(app, client, auth):
    auth.login("warehouse", language="en")
    response = client.post(
        "/profile/tokens", data={"name": "spreadsheet", "csrf_token": auth.csrf_token("/profile")}
    )
    assert response.status_code == 201
    token = re.search(r'id="new-token"[^>]*value="([^"]+)"', response.get_data(as_text=True))[1]
    rows = db.session.execute(text("SELECT * FROM api_tokens")).all()
    assert len(rows) == 1
    assert not any(token in str(value) for value in rows[0])  # not the text, nor a part of it
    assert not any(token[10:] in str(value) for value in rows[0])
    other = app.test_client()  # the token alone, no session
    answer = other.get("/api/v1/warehouses", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200


# -- request size ----------------------------------------------------------------------------


def test_a_request_over_the_limit_is_413_with_a_clear_message_and_changes_nothing(
    app, client, auth
):
    """Outside the household import (20 MB, tested with it), MAX_CONTENT_LENGTH holds."""
    auth.login("admin", language="en")
    token = auth.csrf_token("/donors/new")
    too_big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    page = client.post("/donors/new", data={"csrf_token": token, "code": "ECHO", "name": too_big})
    assert page.status_code == 413
    assert "The upload is larger than allowed." in text_of(page)
    api = client.post(
        "/api/v1/donors",
        data=too_big,
        content_type="application/json",
        headers={"Origin": "http://localhost"},
    )
    assert api.status_code == 413
    assert api.mimetype == "application/problem+json"
    assert api.get_json()["detail"] == "The upload is larger than allowed."
    assert _count(Donor) == 0


# -- the login's next= -------------------------------------------------------------------------

BAD_NEXTS = ["%0d%0a/x", "/%0a/evil", "/x%0d%0aSet-Cookie:%20a=b", "/%09/evil", "/x%00y"]


@pytest.mark.parametrize("target", BAD_NEXTS)
def test_a_next_with_a_line_break_is_ignored_after_the_login(client, make, target):
    """A line break cannot go into the Location header: it answered 500."""
    user = make.user("warehouse")
    page = client.get(f"/login?next={target}")
    assert page.status_code == 200
    response = client.post(
        f"/login?next={target}",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


@pytest.mark.parametrize("target", BAD_NEXTS)
def test_a_next_with_a_line_break_is_ignored_when_already_logged_in(client, auth, target):
    auth.login("warehouse")
    response = client.get(f"/login?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


def test_a_next_within_the_site_is_still_followed(client, auth):
    auth.login("warehouse")
    response = client.get("/login?next=/stock/batches%3Fpage%3D2")
    assert response.headers["Location"] == "/stock/batches?page=2"
