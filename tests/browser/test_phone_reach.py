"""What a thumb, a keyboard and a small phone can reach: after a refused form the focus is
on the list of what went wrong, the focus ring stands out from what is behind it, links in
lists are big enough to tap, and pages fit a 300 px screen without sideways scrolling."""

from __future__ import annotations

import pytest

from tests.browser.conftest import SIZES
from tests.browser.helpers import assert_no_sideways_scroll, log_in
from tests.worlds import DoorWorld

pytestmark = pytest.mark.browser

# The focused element's outline colour, and the first opaque background behind it.
RING_JS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  let node = el.parentElement;
  let background = "rgb(255, 255, 255)";
  while (node) {
    const color = getComputedStyle(node).backgroundColor;
    if (color !== "transparent" && !color.endsWith(", 0)")) { background = color; break; }
    node = node.parentElement;
  }
  return {
    tag: el.tagName, visible: el.matches(":focus-visible"), style: style.outlineStyle,
    width: style.outlineWidth, outline: style.outlineColor, background: background,
  };
}"""


def _channels(color: str) -> list[float]:
    inside = color[color.index("(") + 1 : color.index(")")]
    return [float(part) for part in inside.split(",")[:3]]


def _luminance(color: str) -> float:
    def linear(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _channels(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _focus_by_keyboard(page, selector: str) -> dict:
    """Focus the element as a keyboard would (Tab onto it), and measure its ring."""
    page.focus(selector)
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    return page.evaluate(RING_JS)


def test_a_refused_form_puts_the_focus_on_the_list_of_its_errors(phone_page, make):
    make.donor("KOICA")
    make.kit_type("HK-FAM")
    make.warehouse("JKT-01")
    keeper = make.user("warehouse", language="id")
    page = phone_page
    log_in(page, keeper.email)
    page.goto("/stock/receive")
    page.fill("input[name=lot]", "LOT-1")  # the kits and the donor are left out
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()

    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    summary = page.locator("[data-error-summary]")
    assert "Belum ada yang disimpan" in summary.inner_text()
    box = summary.bounding_box()
    assert 0 <= box["y"] < 844, "the summary is not on the screen"
    page.screenshot(path="/tmp/reach-summary.png")  # noqa: S108 - for a reviewer's eyes

    summary.locator("a[href='#quantity_received']").click()
    assert page.evaluate("document.activeElement.id") == "quantity_received"


def test_the_focus_ring_contrasts_three_to_one_with_what_is_behind_it(phone_page, make):
    officer = make.user("admin", language="id")
    make.household()
    page = phone_page
    log_in(page, officer.email)
    page.goto("/households/")
    for selector in (
        "main td a",  # a link on a card
        "main .button-primary",  # a button on the page's background
        "main input[type=search], main input[type=text]",  # a field
        ".brand",  # a link on the dark top bar
    ):
        ring = _focus_by_keyboard(page, f"{selector} >> nth=0")
        assert ring["visible"] and ring["style"] != "none", (selector, ring)
        ratio = contrast(ring["outline"], ring["background"])
        assert ratio >= 3, f"{selector}: focus ring {ring} contrasts {ratio:.2f}:1"


@pytest.mark.parametrize(
    ("path", "selector"),
    [
        ("/households/", "main td > a, main th > a"),
        ("/rounds/", ".round-card h2 > a"),
        ("/manifests/", "main th > a, main td > a"),
        ("/stock/batches", "main th > a, main td > a"),
    ],
)
def test_links_in_lists_are_big_enough_for_a_thumb(phone_page, make, path, selector):
    world = DoorWorld(make)
    world.dispatch([world.parcels[0]])
    admin = make.user("admin", language="id")
    page = phone_page
    log_in(page, admin.email)
    page.goto(path)
    links = page.locator(selector)
    assert links.count() > 0, f"no list link on {path}"
    for n in range(min(links.count(), 4)):
        box = links.nth(n).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, f"{path}: link {n} is {box}"


def test_pages_fit_a_300_px_screen(new_page, make, monkeypatch):
    monkeypatch.setitem(
        SIZES, "narrow", {**SIZES["phone"], "viewport": {"width": 300, "height": 640}}
    )
    world = DoorWorld(make)
    world.dispatch([world.parcels[0]])
    admin = make.user("admin", language="id")
    page = new_page("narrow")
    log_in(page, admin.email)
    for path in (
        "/",
        "/households/",
        "/deliver/",
        f"/deliver/?code={world.parcels[0].short_code}",
        "/scan/",
        f"/rounds/{world.round.id}",
        "/stock/receive",
    ):
        page.goto(path)
        shot = path.strip("/").replace("/", "-").replace("?", "-") or "home"
        page.screenshot(path=f"/tmp/reach-300-{shot}.png", full_page=True)  # noqa: S108
        assert_no_sideways_scroll(page)
