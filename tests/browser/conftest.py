"""Browser tests: the real app on a loopback port, driven by Debian's Chromium.

The `app` fixture of tests/conftest.py (SQLite or PostgreSQL, as `--db` says) is served
by Werkzeug in a background thread; Playwright for Python drives /usr/bin/chromium.
Playwright's own browser download is never used (`playwright install` cannot work on
machines without internet). A test fails when its pages ask for anything outside the
loopback server (kitlog serves its assets itself: no CDN), load a stylesheet, script,
image or font that answers with an error, or do anything the Content-Security-Policy
refuses (an inline script or style, say).

Fixtures (live_server, the running app's base URL, is tests/conftest.py's):
  new_page      new_page("phone" | "desktop", locale="id-ID") -> a Playwright Page
  phone_page    390x844, mobile, touch, Indonesian phone
  desktop_page  1280x800
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import config as kitlog_config
from tests.conftest import faked_clock_env

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/126.0.0.0 Mobile Safari/537.36"
)
SIZES = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "user_agent": PHONE_UA,
    },
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
TIMEOUT_MS = 15_000
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
ASSET_TYPES = {"stylesheet", "script", "image", "font"}


def _unavailable(reason: str) -> None:
    """Skip on a developer machine; fail on CI, where the browser tests must run."""
    if kitlog_config.TestConfig.CI:
        pytest.fail(f"{reason} (CI=true: the browser tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    """One headless Debian Chromium per test process."""
    if not CHROMIUM.exists():
        _unavailable(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[dev]')")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            env={**os.environ, **faked_clock_env()},
        )
    except Exception:
        playwright.stop()
        raise
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def new_page(chromium, live_server):
    """new_page(size="phone"|"desktop", locale="id-ID"): a page on its own browser context."""
    contexts = []
    outside: list[str] = []
    broken: list[str] = []
    refused: list[str] = []

    def block_outside(route):
        host = urlsplit(route.request.url).hostname or ""
        if host in LOCAL_HOSTS:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    def note_broken_asset(response):
        if response.status >= 400 and response.request.resource_type in ASSET_TYPES:
            broken.append(f"{response.status} {response.url}")

    def note_refused_by_csp(message):
        if "Content Security Policy" in message.text:
            refused.append(message.text[:240])

    def open_page(size: str = "phone", *, locale: str = "id-ID"):
        context = chromium.new_context(base_url=live_server, locale=locale, **SIZES[size])
        context.set_default_timeout(TIMEOUT_MS)
        context.route("**/*", block_outside)
        context.on("response", note_broken_asset)
        context.on("console", note_refused_by_csp)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    problems = []
    if outside:
        problems.append(
            "asked for something outside kitlog (no CDN at run time): "
            + ", ".join(sorted(set(outside)))
        )
    if broken:
        problems.append("assets that failed to load: " + ", ".join(sorted(set(broken))))
    if refused:
        problems.append(
            "did something the Content-Security-Policy refuses: " + " | ".join(sorted(set(refused)))
        )
    if problems:
        pytest.fail("the pages " + "; and ".join(problems), pytrace=False)


@pytest.fixture
def phone_page(new_page):
    """A 390x844 touch phone whose browser prefers Indonesian."""
    return new_page("phone")


@pytest.fixture
def desktop_page(new_page):
    """A 1280x800 desktop browser."""
    return new_page("desktop")
