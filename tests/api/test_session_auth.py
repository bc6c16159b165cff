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


# The offline scan queue replays JSON writes long after any page's CSRF token expired:
# a JSON request that the browser marks as coming from kitlog's own origin needs none.


def test_a_same_origin_json_session_write_needs_no_csrf_token(client, auth, world):
    auth.login("warehouse")
    response = client.post(
        "/api/v1/transfers", json=world.transfer_body(), headers={"Origin": "http://localhost"}
    )
    assert response.status_code == 201, response.get_json()


def test_a_json_session_write_marked_same_origin_by_fetch_metadata_needs_no_csrf_token(
    client, auth, world
):
    auth.login("warehouse")
    response = client.post(
        "/api/v1/transfers", json=world.transfer_body(), headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert response.status_code == 201, response.get_json()


def test_a_json_session_write_from_another_origin_is_refused_and_writes_nothing(
    client, auth, world
):
    auth.login("warehouse")
    before = row_counts()
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "same-origin"},
    ):
        response = client.post("/api/v1/transfers", json=world.transfer_body(), headers=headers)
        body = assert_problem(response, 400)
        assert "CSRF" in body["detail"]
    assert row_counts() == before


def test_a_same_origin_form_post_to_the_api_still_needs_the_csrf_token(client, auth, world):
    """Only JSON is exempt: a cross-site HTML form can send form data but never JSON."""
    auth.login("warehouse")
    before = row_counts()
    response = client.post(
        "/api/v1/transfers",
        data={"batch": "1"},
        headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
    )
    assert_problem(response, 400)
    assert row_counts() == before
