"""Pages, styles and scripts travel gzipped to a browser that asks for it, and plain to one
that does not; what is already compressed, small or streamed is sent as it is."""

from __future__ import annotations

import gzip

import pytest
from flask import Response

from kitlog import compression

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.mark.parametrize("path", ["/login", "/static/css/kitlog.css", "/static/js/kitlog.js"])
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


def test_webassembly_small_answers_and_streams_are_sent_as_they_are(app, client):
    wasm = client.get("/static/vendor/zxing-wasm/zxing_reader.wasm", headers=GZIP)
    assert wasm.status_code == 200
    assert "Content-Encoding" not in wasm.headers

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
        kept = Response("<p>ok</p>" * 200, mimetype="text/html")
        kept.headers["Cache-Control"] = "no-transform"
        assert "Content-Encoding" not in compression._compress(kept).headers
