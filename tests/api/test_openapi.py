"""The OpenAPI document is generated from the code and agrees with docs/api.md."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

PROBLEM = "application/problem+json"

# The conventions, reference data and stock areas of docs/api.md: path -> {method: body fields}
CONTRACT = {
    "/api/v1/donors": {"get": None, "post": {"code", "name", "country"}},
    "/api/v1/kit-types": {
        "get": None,
        "post": {"code", "name", "weight_kg", "volume_m3", "contents"},
    },
    "/api/v1/warehouses": {
        "get": None,
        "post": {"code", "name", "province", "regency", "address", "timezone"},
    },
    "/api/v1/batches": {
        "get": None,
        "post": {
            "donor",
            "kit_type",
            "warehouse",
            "reference",
            "lot",
            "expiry_date",
            "quantity_pledged",
            "quantity_received",
            "quantity_damaged",
            "received_date",
        },
    },
    "/api/v1/batches/{batch_id}": {"get": None},
    "/api/v1/stock": {"get": None},
    "/api/v1/movements": {"get": None},
    "/api/v1/transfers": {"post": {"batch", "from_warehouse", "to_warehouse", "quantity"}},
    "/api/v1/adjustments": {"post": {"batch", "warehouse", "quantity", "kind", "reason"}},
}
ANSWER_FIELDS = {
    ("/api/v1/batches/{batch_id}", "get"): {
        "id",
        "on_hand",
        "reserved",
        "in_transit",
        "delivered",
        "lost",
    },
    ("/api/v1/batches", "post"): {"id", "on_hand", "reserved", "in_transit", "delivered", "lost"},
    ("/api/v1/stock", "get"): {"items", "page", "per_page", "total"},
}


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")  # no login: the document holds no data
    assert response.status_code == 200
    return response.get_json()


def _resolve(spec, node):
    while "$ref" in node:
        parts = node["$ref"].removeprefix("#/").split("/")
        node = spec
        for part in parts:
            node = node[part]
    return node


def _schema_properties(spec, schema) -> set[str]:
    return set(_resolve(spec, schema).get("properties", {}))


def test_the_document_is_valid_openapi_3(spec):
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_every_endpoint_of_the_contract_is_documented_with_its_body(spec):
    for path, methods in CONTRACT.items():
        assert path in spec["paths"], path
        for method, fields in methods.items():
            operation = spec["paths"][path].get(method)
            assert operation is not None, (method, path)
            assert operation.get("summary"), (method, path)
            if fields is not None:
                body = operation["requestBody"]["content"]["application/json"]["schema"]
                writable = {
                    name
                    for name, prop in _resolve(spec, body)["properties"].items()
                    if not prop.get("readOnly")
                }
                assert fields <= writable, (method, path, fields - writable)


def test_every_success_answer_has_a_schema_with_the_contract_fields(spec):
    for path, methods in CONTRACT.items():
        for method in methods:
            responses = spec["paths"][path][method]["responses"]
            status = "201" if method == "post" else "200"
            assert status in responses, (method, path)
            schema = _resolve(spec, responses[status])["content"]["application/json"]["schema"]
            expected = ANSWER_FIELDS.get((path, method), set())
            assert expected <= _schema_properties(spec, schema), (method, path)
            if method == "get" and not path.endswith("}"):
                assert {"items", "page", "per_page", "total"} <= _schema_properties(spec, schema)


def _error_statuses(spec, path, method) -> dict[str, dict]:
    responses = spec["paths"][path][method]["responses"]
    return {code: _resolve(spec, r) for code, r in responses.items() if code[0] in "45"}


def test_errors_are_documented_as_problem_json(spec):
    for path, methods in CONTRACT.items():
        for method in methods:
            errors = _error_statuses(spec, path, method)
            expected = {"401", "403"} | ({"400", "415", "422"} if method == "post" else set())
            if "{" in path:
                expected.add("404")
            assert expected <= set(errors), (method, path, sorted(errors))
            for code, response in errors.items():
                schema = response["content"][PROBLEM]["schema"]
                props = _schema_properties(spec, schema)
                assert {"type", "title", "status", "detail"} <= props, (method, path, code)


@pytest.mark.parametrize("path", ["/api/v1/transfers", "/api/v1/adjustments"])
def test_stock_writes_document_their_409_with_requested_and_available(spec, path):
    conflict = _error_statuses(spec, path, "post")["409"]
    props = _schema_properties(spec, conflict["content"][PROBLEM]["schema"])
    assert {"requested", "available", "errors"} <= props


@pytest.mark.parametrize("path", ["/api/v1/donors", "/api/v1/kit-types", "/api/v1/warehouses"])
def test_reference_writes_document_their_409_for_a_duplicate_code(spec, path):
    assert "409" in _error_statuses(spec, path, "post")


def test_the_validation_errors_list_is_documented(spec):
    problem = spec["components"]["schemas"]["Problem"]
    errors = _resolve(spec, problem["properties"]["errors"]["items"])
    assert {"field", "message"} <= set(errors["properties"])


def test_bearer_auth_is_the_documented_security_scheme(spec):
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert {"bearer": []} in spec["security"]


def test_query_parameters_are_documented(spec):
    def names(path):
        return {p["name"] for p in spec["paths"][path]["get"].get("parameters", [])}

    assert {"page", "per_page", "warehouse", "batch"} <= names("/api/v1/stock")
    assert {"page", "per_page", "warehouse", "batch", "kind", "date_from", "date_to"} <= names(
        "/api/v1/movements"
    )
