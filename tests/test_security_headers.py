"""Every answer carries the security headers: a Content-Security-Policy with no inline
script, no framing, no sniffing, and the camera only for kitlog itself."""

from __future__ import annotations

import pytest

from kitlog.headers import CONTENT_SECURITY_POLICY


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize(
    "path", ["/", "/login", "/api/v1/openapi.json", "/static/css/kitlog.css", "/no-such-page"]
)
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=(self)" in response.headers["Permissions-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_policy_allows_no_inline_script_or_style_and_no_framing():
    policy = directives(CONTENT_SECURITY_POLICY)
    for directive in ("script-src", "style-src", "default-src"):
        assert "'unsafe-inline'" not in policy[directive]
        assert "'unsafe-eval'" not in policy[directive]
    # the QR decoder compiles WebAssembly: that, and nothing more
    assert policy["script-src"] == ["'self'", "'wasm-unsafe-eval'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["worker-src"] == ["'self'"]


def test_a_view_that_sets_a_stricter_header_keeps_it(client):
    """Shared donor reports send no referrer at all, not just to other sites."""
    response = client.get("/share/not-a-real-token")
    assert response.status_code == 404
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
