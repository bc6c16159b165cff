"""The browser enforces kitlog's Content-Security-Policy: an inline script injected into a
page does not run. (Every other browser test fails when a page trips the policy.)"""

from __future__ import annotations

import pytest

from tests.browser.conftest import SIZES, TIMEOUT_MS

pytestmark = pytest.mark.browser


def test_an_injected_inline_script_does_not_run(chromium, live_server):
    context = chromium.new_context(base_url=live_server, **SIZES["phone"])
    context.set_default_timeout(TIMEOUT_MS)
    refused = []
    context.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        page = context.new_page()
        page.goto("/")
        page.evaluate(
            """() => {
              const script = document.createElement("script");
              script.textContent = "window.injected = true;";
              document.head.appendChild(script);
            }"""
        )
        assert page.evaluate("() => window.injected === true") is False
        page.wait_for_function("() => true")
        assert any("script-src" in text for text in refused), refused
    finally:
        context.close()
