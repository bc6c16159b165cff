"""Access is denied unless granted: every endpoint declares who may use it."""

from __future__ import annotations

import pytest
from flask import Blueprint

from kitlog.security import PERMISSIONS, PUBLIC, SCAN_ACTION_PERMISSIONS, can, endpoint_permission


def test_every_endpoint_declares_a_permission(app):
    undeclared = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if endpoint_permission(app, rule.endpoint) is None
    ]
    assert undeclared == []


def test_an_undeclared_route_is_refused_even_to_an_admin(app, make):
    from kitlog import create_app

    fresh = create_app({"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]})
    extra = Blueprint("extra", __name__)

    @extra.route("/forgotten")
    def forgotten():
        return "secret"

    fresh.register_blueprint(extra)
    fresh.test_client_class = app.test_client_class
    token = make.token(make.user("admin"))
    response = fresh.test_client().get("/forgotten", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert b"secret" not in response.data


@pytest.mark.parametrize(
    ("permission", "roles"),
    [
        ("reference.write", {"admin"}),
        ("stock.read", {"admin", "warehouse"}),
        ("stock.write", {"admin", "warehouse"}),
        ("users.manage", {"admin"}),
        ("reference.read", {"admin", "warehouse", "field"}),
        ("scans.warehouse", {"admin", "warehouse"}),
        ("scans.field", {"admin", "field"}),
        ("scans.write", {"admin", "warehouse", "field"}),
        ("labels.print", {"admin", "warehouse"}),
        ("manifests.write", {"admin", "warehouse"}),
        ("manifests.read", {"admin", "warehouse", "field"}),
    ],
)
def test_roles_hold_exactly_the_permissions_api_md_gives_them(permission, roles):
    class U:
        is_authenticated = True

        def __init__(self, role):
            self.role = role

    granted = {r for r in ("admin", "warehouse", "field", "donor") if can(permission, U(r))}
    assert granted == roles


def test_a_donor_holds_no_permission_but_the_dashboard_and_their_reports():
    """Reports are aggregates, and the report views check that it is the donor's own."""
    donor_permissions = {p for p, roles in PERMISSIONS.items() if "donor" in roles}
    assert donor_permissions <= {"authenticated", "dashboard", "reports.read", "reports.share"}


def test_anonymous_users_hold_only_public():
    class Anonymous:
        is_authenticated = False

    assert can(PUBLIC, Anonymous())
    assert not any(can(p, Anonymous()) for p in PERMISSIONS)


def test_a_wrong_bearer_token_is_401_even_in_a_logged_in_browser(client, auth, make):
    auth.login("admin")
    assert client.get("/api/v1/donors").status_code == 200  # the session alone works
    response = client.get("/api/v1/donors", headers={"Authorization": "Bearer kl_revoked"})
    assert response.status_code == 401


def test_a_bearer_token_acts_as_its_own_user_not_the_session_user(client, auth, make):
    auth.login("admin")
    donor_token = make.token(make.user("donor"))
    response = client.get("/api/v1/donors", headers={"Authorization": f"Bearer {donor_token}"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("action", "roles"),
    [
        ("pack", {"admin", "warehouse"}),
        ("load", {"admin", "warehouse"}),
        ("return", {"admin", "warehouse"}),
        ("deliver", {"admin", "field"}),
        ("fail", {"admin", "field"}),
    ],
)
def test_each_scan_action_belongs_to_the_roles_api_md_names(action, roles):
    class U:
        is_authenticated = True

        def __init__(self, role):
            self.role = role

    permission = SCAN_ACTION_PERMISSIONS[action]
    granted = {r for r in ("admin", "warehouse", "field", "donor") if can(permission, U(r))}
    assert granted == roles
