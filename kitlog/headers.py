"""Security headers on every answer: what a browser may load, frame, sniff or use."""

from __future__ import annotations

from flask import Flask, Response, request

from kitlog import stylesheet

# No inline script or style in kitlog's pages (JSON data blocks are not scripts), but for
# kitlog's own files written into the delivery page's first load (kitlog.stylesheet):
# kitlog.css, offline.js and parcel_actions.js, each allowed by the hash of its text.
# 'wasm-unsafe-eval' lets the QR decoder compile its WebAssembly; blob: serves photos and
# the camera's frames; the service worker and the decoder come from kitlog itself.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        f"script-src 'self' 'wasm-unsafe-eval' {stylesheet.SCRIPT_CSP_SOURCES}",
        f"style-src 'self' {stylesheet.CSP_SOURCE}",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # the scan pages use the camera and the delivery page the position; nothing else
    "Permissions-Policy": (
        "camera=(self), geolocation=(self), microphone=(), payment=(), usb=(), interest-cohort=()"
    ),
    "X-Frame-Options": "DENY",
}

# Answers a browser or a proxy may keep: static files (CSS, scripts, fonts, vendored
# libraries), the service worker's script, which holds no personal data and is
# revalidated (no-cache), and the official places' pick-lists (the same for everyone,
# kept by the browser only: private). The service worker keeps its offline pages in the
# Cache API, which no HTTP header governs. An error is never kept.
CACHEABLE_ENDPOINTS = frozenset({"static", "scan.service_worker", "api_places.list_places"})


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)  # a view may be stricter (share links)
    cacheable = request.endpoint in CACHEABLE_ENDPOINTS and response.status_code < 400
    if not cacheable and "no-store" not in (response.headers.get("Cache-Control") or ""):
        # pages, API answers, exports and PDFs may hold personal data: no copy is kept
        # on a shared phone's disk or in a proxy
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(_add_headers)
