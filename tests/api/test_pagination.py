"""Every list answers {items, page, per_page, total} and refuses pages out of bounds."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem

LISTS = [
    "/api/v1/donors",
    "/api/v1/kit-types",
    "/api/v1/warehouses",
    "/api/v1/batches",
    "/api/v1/stock",
    "/api/v1/movements",
]


@pytest.mark.parametrize("path", LISTS)
def test_a_list_has_the_page_shape_with_defaults(api, world, path):
    page = api("admin").get(path).get_json()
    assert set(page) == {"items", "page", "per_page", "total"}
    assert (page["page"], page["per_page"]) == (1, 50)
    assert page["total"] == len(page["items"]) >= 1


@pytest.mark.parametrize("path", LISTS)
def test_a_page_past_the_end_is_empty_but_keeps_the_total(api, world, path):
    page = api("admin").get(f"{path}?page=999&per_page=500").get_json()
    assert page["items"] == []
    assert (page["page"], page["per_page"]) == (999, 500)
    assert page["total"] >= 1


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page=1000001", "page"),
        ("page=" + "9" * 5000, "page"),
        ("per_page=0", "per_page"),
        ("per_page=501", "per_page"),
        ("per_page=1e3", "per_page"),
    ],
)
def test_a_page_out_of_bounds_is_422_naming_it(api, world, path, query, field):
    assert_problem(api("admin").get(f"{path}?{query}"), 422, field=field)


def test_pages_split_the_list_without_overlap(api, world, make):
    for n in range(5):
        make.donor(f"D{n}")
    client = api("admin")
    seen = []
    for number in (1, 2, 3):
        page = client.get(f"/api/v1/donors?per_page=2&page={number}").get_json()
        assert page["total"] == 6
        seen += [d["code"] for d in page["items"]]
    assert seen == sorted(seen) and len(set(seen)) == 6
