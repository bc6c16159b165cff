"""Answers compressed with gzip when the browser asks for it: a field server run with
`make run` has no proxy in front of it, and officers pay for every byte of cellular data."""

from __future__ import annotations

import gzip

from flask import Flask, Response, request

# Text compresses to a fifth or less, and the QR decoder's WebAssembly to less than half;
# images, PDFs and spreadsheets are already compressed, and gzip would only cost time.
# The JSON API is left plain: its answers are small pages of rows, and scripts that call
# it need not decode gzip.
COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/manifest+json",
        "image/svg+xml",
        "application/wasm",
    }
)
# Below this a gzip header and a round trip cost more than they save.
MIN_SIZE = 500
LEVEL = 6


def _accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def _compress(response: Response) -> Response:
    if "Accept-Encoding" not in response.vary and response.mimetype in COMPRESSIBLE:
        # a cache must keep the plain and the compressed answer apart
        response.vary.add("Accept-Encoding")
    if (
        response.status_code != 200
        or response.mimetype not in COMPRESSIBLE
        or "Content-Encoding" in response.headers
        or (response.is_streamed and not response.direct_passthrough)
        or "no-transform" in (response.headers.get("Cache-Control") or "")
        or request.method == "HEAD"
        or not _accepts_gzip()
    ):
        return response
    # a static file is sent straight from disk: read it to compress it (an export that
    # streams its rows as they are made is left alone above)
    response.direct_passthrough = False
    body = response.get_data()
    if len(body) < MIN_SIZE:
        return response
    response.set_data(gzip.compress(body, compresslevel=LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    response.headers.pop("Accept-Ranges", None)  # byte ranges of the file, not of this
    etag, weak = response.get_etag()
    if etag and not weak:
        # the compressed bytes differ from the file's, but mean the same: a weak tag
        # still lets the browser revalidate with If-None-Match and get a 304
        response.set_etag(etag, weak=True)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_compress)
