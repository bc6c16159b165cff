"""Every answer carries the security headers: a Content-Security-Policy with no inline
script, no framing, no sniffing, and the camera only for kitlog itself."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kitlog import stylesheet
from kitlog.extensions import db
from kitlog.headers import CONTENT_SECURITY_POLICY
from kitlog.models import Household
from tests.worlds import ScanWorld


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
    # the QR decoder compiles WebAssembly; the delivery page's first load carries two of
    # kitlog's own scripts, each allowed by its hash: that, and nothing more
    hashes = [stylesheet.csp_hash(stylesheet.SCRIPTS[name]) for name in stylesheet.INLINE_SCRIPTS]
    assert policy["script-src"] == ["'self'", "'wasm-unsafe-eval'", *hashes]
    assert all(source.startswith("'sha256-") for source in hashes)
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["worker-src"] == ["'self'"]


def test_a_view_that_sets_a_stricter_header_keeps_it(client):
    """Shared donor reports send no referrer at all, not just to other sites."""
    response = client.get("/share/not-a-real-token")
    assert response.status_code == 404
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


# -- no copy of personal data is kept by a browser or a proxy -------------------------------------


@pytest.fixture
def trip(make, auth):
    """A round of two parcels, one on a dispatched manifest; an administrator logged in,
    and an API token of another."""
    w = ScanWorld(make, households=2)
    away, _home = w.parcels
    manifest = w.on_the_road([away])
    admin = auth.login("admin", language="en")
    household = db.session.scalars(select(Household).order_by(Household.id)).first()
    return {
        "round": w.round.id,
        "parcel": away.id,
        "short_code": away.short_code,
        "token": away.token,
        "manifest": manifest.id,
        "household": household.code,
        "admin": admin,
        "api_token": make.token(make.user("admin")),
    }


PERSONAL_PAGES = [
    "/households/",
    "/households/?q={household}",
    "/households/{household}",
    "/households/{household}/edit",
    "/households/export.csv",
    "/rounds/{round}",
    "/rounds/{round}/parcels/{parcel}",
    "/rounds/{round}/labels",
    "/rounds/{round}/labels.pdf",
    "/p/{token}",
    "/deliver/?code={short_code}",
    "/manifests/",
    "/manifests/{manifest}",
    "/manifests/{manifest}.pdf",
    "/dashboard",
]
PERSONAL_API = [
    "/api/v1/households",
    "/api/v1/households/{household}",
    "/api/v1/parcels?code={short_code}",
    "/api/v1/rounds/{round}/parcels",
    "/api/v1/parcels/{short_code}",
    "/api/v1/manifests",
    "/api/v1/rounds",
]


@pytest.mark.parametrize("path", PERSONAL_PAGES)
def test_pages_with_personal_data_are_never_stored_by_the_browser(client, trip, path):
    response = client.get(path.format(**trip))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", PERSONAL_API)
def test_api_answers_with_personal_data_are_never_stored(client, trip, path):
    response = client.get(
        path.format(**trip), headers={"Authorization": f"Bearer {trip['api_token']}"}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_errors_and_the_login_page_are_not_stored_but_static_files_keep_their_caching(client):
    """The offline pages live in the service worker's Cache API, which ignores HTTP caching."""
    for path in ("/login", "/no-such-page", "/api/v1/households"):
        assert client.get(path).headers["Cache-Control"] == "no-store"
    css = client.get("/static/css/kitlog.css")
    assert css.status_code == 200
    assert "no-store" not in (css.headers.get("Cache-Control") or "")
    assert client.get("/sw.js").headers["Cache-Control"] == "no-cache"
