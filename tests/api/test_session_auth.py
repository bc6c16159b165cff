"""The browser session works on the API too; its writes need the CSRF token."""

from __future__ import annotations

from tests.api.helpers import assert_problem, row_counts


def test_a_logged_in_session_reads_the_api(client, auth, world):
    auth.login("warehouse")
    response = client.get("/api/v1/stock")
    assert response.status_code == 200
    assert response.get_json()["total"] == 1


def test_a_session_write_without_the_csrf_header_is_refused_and_writes_nothing(client, auth, world):
    auth.login("warehouse")
    before = row_counts()
    response = client.post("/api/v1/transfers", json=world.transfer_body())
    body = assert_problem(response, 400)
    assert "CSRF" in body["detail"]
    assert row_counts() == before


def test_a_session_write_with_a_wrong_csrf_header_is_refused(client, auth, world):
    auth.login("warehouse")
    before = row_counts()
    response = client.post(
        "/api/v1/transfers", json=world.transfer_body(), headers={"X-CSRFToken": "forged"}
    )
    assert_problem(response, 400)
    assert row_counts() == before


def test_a_session_write_with_the_csrf_header_works(client, auth, world):
    auth.login("warehouse")
    token = auth.csrf_token("/dashboard")
    response = client.post(
        "/api/v1/transfers", json=world.transfer_body(), headers={"X-CSRFToken": token}
    )
    assert response.status_code == 201, response.get_json()


def test_a_session_of_a_role_that_may_not_is_403_even_with_the_csrf_header(client, auth, world):
    auth.login("field")
    token = auth.csrf_token("/dashboard")
    response = client.post(
        "/api/v1/transfers", json=world.transfer_body(), headers={"X-CSRFToken": token}
    )
    assert_problem(response, 403)


def test_an_api_request_without_a_login_is_401_not_a_redirect_to_the_login_page(client, world):
    response = client.get("/api/v1/batches")
    assert_problem(response, 401)
    assert "Location" not in response.headers
