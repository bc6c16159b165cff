"""What browser tests do again and again: log in, measure sideways scrolling, translate,
read a parcel's status, wait for the offline delivery page."""

from __future__ import annotations

from pathlib import Path

from flask_babel import force_locale, gettext

from kitlog.extensions import db
from kitlog.models import Parcel
from tests.conftest import PASSWORD

# The width is the document's, not window.innerWidth: in mobile emulation Chromium widens
# the layout viewport (and innerWidth) to fit content that overflows, which would hide the
# very overflow this measures.
OVERFLOW_JS = """() => {
  const root = document.documentElement;
  return {
    scrollWidth: Math.max(root.scrollWidth, document.body ? document.body.scrollWidth : 0),
    clientWidth: root.clientWidth,
    innerWidth: window.innerWidth,
  };
}"""


def sideways_overflow(page) -> dict:
    """How far the page is wider than the screen, in CSS pixels (0 when it fits)."""
    metrics = page.evaluate(OVERFLOW_JS)
    screen = page.viewport_size["width"]
    metrics["overflow"] = max(0, metrics["scrollWidth"] - min(metrics["clientWidth"], screen))
    return metrics


def assert_no_sideways_scroll(page) -> None:
    metrics = sideways_overflow(page)
    assert metrics["overflow"] == 0, f"{page.url} scrolls sideways on a phone: {metrics}"


def html_lang(page) -> str:
    return page.get_attribute("html", "lang") or ""


def translated(msgid: str, language: str = "id", **variables) -> str:
    """The catalog's translation of msgid (needs an app context and compiled catalogs)."""
    with force_locale(language):
        return gettext(msgid, **variables)


def log_in(page, email: str, password: str = PASSWORD) -> None:
    """Fill in and send the real login form reached from `/`."""
    page.goto("/")
    form = page.locator("form", has=page.locator("input[name=password]"))
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def status_of(parcel_id: int) -> str:
    db.session.commit()  # a new transaction sees what the server committed
    return db.session.get(Parcel, parcel_id, populate_existing=True).status


# Resolves once the service worker is active and has kept the delivery page.
DELIVER_CACHED_JS = """async () => {
  const registration = await navigator.serviceWorker.ready;
  for (const name of await caches.keys()) {
    if (!name.startsWith("kitlog-pages-")) continue;
    const cache = await caches.open(name);
    if (await cache.match("/deliver/")) return registration.active.state;
  }
  return null;
}"""


# axe-core, vendored from npm (never served by kitlog), and how a page is checked with it.
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("critical", "serious", "moderate")
RUN_AXE_JS = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    count: v.nodes.length,
  }));
}"""


def violations(page, path: str) -> list[str]:
    response = page.goto(path)
    assert response is not None and response.status == 200, (
        f"{path}: {response and response.status}"
    )
    page.wait_for_load_state("load")
    found = page.evaluate(RUN_AXE_JS)
    return [
        f"{path} [{v['impact']}] {v['id']} ({v['help']}; {v['count']}x): {', '.join(v['targets'])}"
        for v in found
        if v["impact"] in FAILING_IMPACTS
    ]
