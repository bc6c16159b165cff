"""Page URLs with numbers no database id can hold answer 404, never 500."""

import pytest

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "path",
    [
        f"/stock/batches/{HUGE}",
        "/stock/batches/2147483648",
        f"/admin/users/{HUGE}",
        f"/api/v1/batches/{HUGE}",
    ],
)
def test_an_id_too_large_for_the_database_is_404(client, auth, path):
    auth.login("admin")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        f"/stock/movements?batch={HUGE}",
        f"/stock/movements?page={HUGE}",
        f"/stock/transfer?batch={HUGE}",
        "/stock/adjust?warehouse=99999999999999999999&batch=-1",
    ],
)
def test_huge_numbers_in_page_queries_never_answer_500(client, auth, path):
    auth.login("admin")
    assert client.get(path).status_code in (200, 404, 422)
