"""Who may call what (the roles of docs/design.md): 401 without a login, 403 for a role
that may not."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem, row_counts

ROLES = ("admin", "warehouse", "field", "donor")
REFERENCE_READERS = {"admin", "warehouse", "field"}
ADMIN_ONLY = {"admin"}
STOCK_STAFF = {"admin", "warehouse"}


def _donor(world):
    return {"code": "ECHO", "name": "European Civil Protection", "country": "EU"}


def _kit_type(world):
    return {
        "code": "HK-IND",
        "name": "Individual hygiene kit",
        "weight_kg": 1.2,
        "volume_m3": 0.01,
        "contents": [{"item": "Soap", "quantity": 2, "unit": "bars"}],
    }


def _warehouse(world):
    return {"code": "MDN-01", "name": "Gudang Medan", "province": "Sumut", "regency": "Medan"}


# (method, path, body maker, roles allowed, status when allowed)
ENDPOINTS = [
    ("GET", "/api/v1/donors", None, REFERENCE_READERS, 200),
    ("POST", "/api/v1/donors", _donor, ADMIN_ONLY, 201),
    ("GET", "/api/v1/donors/KOICA", None, REFERENCE_READERS, 200),
    ("GET", "/api/v1/kit-types", None, REFERENCE_READERS, 200),
    ("POST", "/api/v1/kit-types", _kit_type, ADMIN_ONLY, 201),
    ("GET", "/api/v1/kit-types/HK-FAM", None, REFERENCE_READERS, 200),
    ("GET", "/api/v1/warehouses", None, REFERENCE_READERS, 200),
    ("POST", "/api/v1/warehouses", _warehouse, ADMIN_ONLY, 201),
    ("GET", "/api/v1/warehouses/JKT-01", None, REFERENCE_READERS, 200),
    ("GET", "/api/v1/batches", None, STOCK_STAFF, 200),
    ("POST", "/api/v1/batches", lambda w: w.batch_body(), STOCK_STAFF, 201),
    ("GET", "/api/v1/batches/{batch}", None, STOCK_STAFF, 200),
    ("GET", "/api/v1/stock", None, STOCK_STAFF, 200),
    ("GET", "/api/v1/movements", None, STOCK_STAFF, 200),
    ("POST", "/api/v1/transfers", lambda w: w.transfer_body(), STOCK_STAFF, 201),
    ("POST", "/api/v1/adjustments", lambda w: w.adjustment_body(), STOCK_STAFF, 201),
]


def _call(client, world, method, path, body):
    path = path.format(batch=world.batch_id)
    if method == "GET":
        return client.get(path)
    return client.post(path, json=body(world))


def _ids(endpoint):
    return f"{endpoint[0]} {endpoint[1]}"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_ids)
def test_anonymous_request_is_401_with_problem_and_www_authenticate(api, world, endpoint):
    method, path, body, _allowed, _ok = endpoint
    before = row_counts()
    response = _call(api(None), world, method, path, body)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert row_counts() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_ids)
def test_unknown_bearer_token_is_401(client, world, endpoint):
    method, path, body, _allowed, _ok = endpoint
    path = path.format(batch=world.batch_id)
    headers = {"Authorization": "Bearer kl_not-a-real-token"}
    if method == "GET":
        response = client.get(path, headers=headers)
    else:
        response = client.post(path, json=body(world), headers=headers)
    assert_problem(response, 401)


@pytest.mark.parametrize(
    ("endpoint", "role"),
    [(e, role) for e in ENDPOINTS for role in ROLES if role not in e[3]],
    ids=lambda v: _ids(v) if isinstance(v, tuple) else v,
)
def test_role_that_may_not_is_403_and_changes_nothing(api, world, endpoint, role):
    method, path, body, _allowed, _ok = endpoint
    before = row_counts()
    response = _call(api(role), world, method, path, body)
    assert_problem(response, 403)
    assert row_counts() == before


@pytest.mark.parametrize(
    ("endpoint", "role"),
    [(e, role) for e in ENDPOINTS for role in ROLES if role in e[3]],
    ids=lambda v: _ids(v) if isinstance(v, tuple) else v,
)
def test_role_that_may_is_served(api, world, endpoint, role):
    method, path, body, _allowed, ok = endpoint
    response = _call(api(role), world, method, path, body)
    assert response.status_code == ok, response.get_json()
    assert response.mimetype == "application/json"


def test_every_endpoint_of_these_sections_is_in_the_access_table(app):
    """A new endpoint in these blueprints must be added to ENDPOINTS, and so be tested."""
    urls = app.url_map.bind("localhost")
    tested = {
        (urls.match(path.format(batch=1), method)[0], method) for method, path, *_ in ENDPOINTS
    }
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in ("api_reference", "api_stock")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == tested


def test_every_api_view_declares_a_permission(app):
    from kitlog.security import endpoint_permission

    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            assert endpoint_permission(app, rule.endpoint) is not None, rule.endpoint
