"""Access is denied unless granted: every endpoint declares who may use it."""

from __future__ import annotations

import pytest
from flask import Blueprint

from kitlog.security import PERMISSIONS, PUBLIC, can, endpoint_permission


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
    ],
)
def test_roles_hold_exactly_the_permissions_api_md_gives_them(permission, roles):
    class U:
        is_authenticated = True

        def __init__(self, role):
            self.role = role

    granted = {r for r in ("admin", "warehouse", "field", "donor") if can(permission, U(r))}
    assert granted == roles


def test_a_donor_holds_no_stock_or_reference_permission():
    donor_permissions = {p for p, roles in PERMISSIONS.items() if "donor" in roles}
    assert donor_permissions <= {"authenticated", "dashboard"}


def test_anonymous_users_hold_only_public():
    class Anonymous:
        is_authenticated = False

    assert can(PUBLIC, Anonymous())
    assert not any(can(p, Anonymous()) for p in PERMISSIONS)
