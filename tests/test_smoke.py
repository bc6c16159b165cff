def test_login_page_is_in_indonesian_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Masuk" in response.get_data(as_text=True) or "Log in" in response.get_data(as_text=True)
