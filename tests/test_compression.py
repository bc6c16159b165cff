"""Pages, styles and scripts travel gzipped to a browser that asks for it, and plain to one
that does not; what is already compressed, small or streamed is sent as it is."""

from __future__ import annotations

import gzip
import json
import re

import pytest
from flask import Response

from kitlog import compression

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.mark.parametrize(
    "path",
    [
        "/login",
        "/static/css/kitlog.css",
        "/static/js/kitlog.js",
        "/static/vendor/zxing-wasm/zxing_reader.wasm",
    ],
)
def test_text_is_gzipped_when_the_browser_asks(client, path):
    plain = client.get(path)
    assert plain.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]

    packed = client.get(path, headers=GZIP)
    assert packed.status_code == 200
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    body = gzip.decompress(packed.get_data())
    assert int(packed.headers["Content-Length"]) == len(packed.get_data()) < len(body)
    if path == "/login":  # the page's CSRF token differs between the two answers
        assert b'<html lang="id">' in body
    else:
        assert body == plain.get_data()


def test_a_browser_that_refuses_gzip_gets_plain_text(client):
    for header in ("identity", "gzip;q=0, identity", ""):
        response = client.get("/static/css/kitlog.css", headers={"Accept-Encoding": header})
        assert "Content-Encoding" not in response.headers, header
        assert response.get_data().startswith(b"/*") or b"{" in response.get_data()


def test_a_page_that_must_not_be_kept_is_still_not_kept_when_gzipped(client, auth):
    auth.login("admin")
    response = client.get("/dashboard", headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "no-store"


def test_a_static_file_gzipped_is_still_revalidated(client):
    first = client.get("/static/css/kitlog.css", headers=GZIP)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    again = client.get("/static/css/kitlog.css", headers={**GZIP, "If-None-Match": etag})
    assert again.status_code == 304


def test_images_small_answers_and_streams_are_sent_as_they_are(app):
    with app.test_request_context("/", headers=GZIP):
        small = compression._compress(Response("<p>ok</p>", mimetype="text/html"))
        assert "Content-Encoding" not in small.headers
        big = compression._compress(Response("<p>ok</p>" * 200, mimetype="text/html"))
        assert big.headers["Content-Encoding"] == "gzip"
        streamed = compression._compress(
            Response((row for row in ["<p>ok</p>"] * 200), mimetype="text/html")
        )
        assert "Content-Encoding" not in streamed.headers
        pdf = compression._compress(Response(b"%PDF" * 500, mimetype="application/pdf"))
        assert "Content-Encoding" not in pdf.headers
        png = compression._compress(Response(b"\x89PNG" * 500, mimetype="image/png"))
        assert "Content-Encoding" not in png.headers
        kept = Response("<p>ok</p>" * 200, mimetype="text/html")
        kept.headers["Cache-Control"] = "no-transform"
        assert "Content-Encoding" not in compression._compress(kept).headers


def test_the_offline_precache_holds_what_the_phone_pages_use_and_travels_in_600_kb(
    client, auth, make
):
    """The worker's list: no chart library, every file /scan/ and /deliver/ load, and the
    whole list gzipped, as a phone downloads it at each deploy, at most 600 KB."""
    worker = client.get("/sw.js").get_data(as_text=True)
    shell = json.loads(re.search(r"var SHELL_URLS = (\[.*?\]);", worker).group(1))
    assert not [url for url in shell if "chart" in url or url.endswith("/dashboard.js")]

    make.warehouse("SBY-01")
    for role, page in (("warehouse", "/scan/"), ("field", "/deliver/")):
        auth.login(role)
        html = client.get(page).get_data(as_text=True)
        used = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
        assert used, page
        assert sorted(set(used) - set(shell)) == [], page
        auth.logout()

    travels = 0
    for url in shell:
        response = client.get(url, headers=GZIP)
        assert response.status_code == 200, url
        travels += len(response.get_data())
    assert travels <= 600 * 1024, travels
