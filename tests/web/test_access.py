"""Who may open which page: every page answers its allowed roles, refuses the others
with 403, and sends a visitor who is not logged in to the login form."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from kitlog.extensions import db
from kitlog.models import Donor
from tests.web.conftest import csrf_token, text_of

ALL = {"admin", "warehouse", "field", "donor"}
STAFF = {"admin", "warehouse", "field"}
STOCK = {"admin", "warehouse"}
ADMIN = {"admin"}

PAGES = [
    ("/dashboard", ALL),
    ("/profile", ALL),
    ("/donors", STAFF),
    ("/kit-types", STAFF),
    ("/warehouses", STAFF),
    ("/donors/new", ADMIN),
    ("/kit-types/new", ADMIN),
    ("/warehouses/new", ADMIN),
    ("/donors/KOICA/edit", ADMIN),
    ("/kit-types/HK-FAM/edit", ADMIN),
    ("/warehouses/JKT-01/edit", ADMIN),
    ("/stock/batches", STOCK),
    ("/stock/batches/{batch}", STOCK),
    ("/stock/receive", STOCK),
    ("/stock/transfer", STOCK),
    ("/stock/adjust", STOCK),
    ("/stock/movements", STOCK),
    ("/admin/users", ADMIN),
    ("/admin/users/new", ADMIN),
    ("/admin/users/{user}", ADMIN),
]


@pytest.fixture
def world(make):
    """A batch in a warehouse and a second user, so that every page has something to show."""
    batch = make.batch(received=40)
    other = make.user("field", email="other@example.org")
    return {"batch": batch.id, "user": other.id}


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize(("path", "allowed"), PAGES, ids=[p for p, _ in PAGES])
def test_each_page_opens_for_its_roles_and_refuses_the_others(
    client, login, world, path, allowed, role
):
    login(role)
    response = client.get(path.format(**world))
    if role in allowed:
        assert response.status_code == 200, path
        assert "<h1>" in response.get_data(as_text=True)
    else:
        assert response.status_code == 403, path
        assert "Your role does not allow this." in text_of(response)


@pytest.mark.parametrize(("path", "allowed"), PAGES, ids=[p for p, _ in PAGES])
def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login_form(client, world, path, allowed):
    response = client.get(path.format(**world))
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/login"
    assert path.format(**world) in target.query.replace("%2F", "/")


@pytest.mark.parametrize(
    ("role", "path", "data"),
    [
        ("warehouse", "/donors/new", {"code": "ECHO", "name": "ECHO"}),
        (
            "field",
            "/warehouses/new",
            {"code": "MDN-01", "name": "x", "province": "p", "regency": "r"},
        ),
        ("donor", "/stock/transfer", {"batch": "1", "quantity": "1"}),
        ("field", "/stock/adjust", {"batch": "1", "quantity": "1", "reason": "x"}),
        ("warehouse", "/admin/users/new", {"email": "x@example.org"}),
    ],
)
def test_a_role_that_may_not_write_is_refused_and_nothing_changes(
    browser, login, world, role, path, data
):
    login(role)
    donors_before = db.session.query(Donor).count()
    response = browser.submit(path, data, page="/profile")
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.query(Donor).count() == donors_before


def test_the_login_form_is_reached_from_the_root_and_a_logged_in_user_goes_on(client, login):
    page = client.get("/")
    assert page.status_code == 200
    assert 'name="password"' in page.get_data(as_text=True)
    login("field")
    assert client.get("/").headers["Location"].endswith("/dashboard")


def test_a_login_with_a_wrong_password_says_so_without_telling_which(client, make):
    user = make.user("field", language="en")
    token = csrf_token(
        client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    )
    response = client.post(
        "/login",
        data={"email": user.email, "password": "not the password", "csrf_token": token},
        headers={"Accept-Language": "en"},
    )
    page = text_of(response)
    assert "Wrong email or password." in page
    assert "Nothing was saved" not in page
