"""The delivery page's first load on a phone, counted from the answers Chromium received: it
stays within its weight, waits for no stylesheet (kitlog.css comes in the page, and the
browser applies it under the Content-Security-Policy), and fetches no QR decoder. Once the
service worker holds the shell, the next load links the stylesheet, which the worker
serves; a photo of a label loads the decoder when it is taken, and finds the parcel.
(bench/wire.py times the same load on a throttled network; nothing here is timed.)"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from kitlog import stylesheet
from tests.browser.conftest import SIZES, TIMEOUT_MS
from tests.browser.helpers import DELIVER_CACHED_JS, log_in
from tests.worlds import DoorWorld

pytestmark = pytest.mark.browser

# Bytes over the wire up to the load event, compressed, headers included: 63,763 here when
# this was written (the page 17,075 with its stylesheet, eight scripts, the logo); about
# 18,000 more before, with a linked stylesheet and the QR decoder's polyfill on every load.
# With two scripts and the logo in the page: six files.
BUDGET = 72_000
FONT_JS = "() => getComputedStyle(document.body).fontFamily"


def test_the_delivery_pages_first_load_stays_within_its_weight(
    phone_page, chromium, live_server, make
):
    officer = make.user("field")
    log_in(phone_page, officer.email)
    cookies = phone_page.context.cookies()

    # a fresh phone: an empty cache, no service worker, only the login cookie
    context = chromium.new_context(base_url=live_server, service_workers="block", **SIZES["phone"])
    context.set_default_timeout(TIMEOUT_MS)
    refused: list[str] = []
    context.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        context.add_cookies(cookies)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        sent: dict[str, tuple[str, str]] = {}
        received: dict[str, int] = {}
        cdp.on(
            "Network.requestWillBeSent",
            lambda e: sent.__setitem__(e["requestId"], (e["request"]["url"], e.get("type", ""))),
        )
        cdp.on(
            "Network.loadingFinished",
            lambda e: received.__setitem__(e["requestId"], int(e["encodedDataLength"])),
        )
        cdp.send("Network.enable")
        answer = page.goto("/deliver/", wait_until="load")
        assert answer is not None and answer.status == 200
        assert page.locator("[data-deliver]").count() == 1  # the page itself, not the login
        weights = {
            urlsplit(sent[key][0]).path: size for key, size in received.items() if key in sent
        }
        kinds = {urlsplit(url).path: kind for url, kind in sent.values()}
        total = sum(received.values())
        assert total <= BUDGET, f"{total:,} bytes over the wire: {weights}"
        assert "Stylesheet" not in kinds.values(), kinds  # nothing to wait for before painting
        # HTTP/1.1 gives a phone six connections to the server: six files at most, so that
        # none waits for another's connection (the logo and two scripts came in the page;
        # the page's own data is fetched later, and does not hold its load event)
        files = sorted(
            urlsplit(url).path
            for url, kind in sent.values()
            if url.startswith("http") and kind not in ("Document", "Fetch", "XHR")
        )
        assert len(files) <= 6, files
        assert not [path for path in files if path.endswith((".svg", "/offline.js"))], files
        assert not [path for path in kinds if "/vendor/" in path], kinds  # no QR decoder
        assert "system-ui" in page.evaluate(FONT_JS)  # the stylesheet in the page applies
        assert not refused, refused
    finally:
        context.close()


def test_once_the_service_worker_holds_the_shell_the_page_links_the_stylesheet(phone_page, make):
    officer = make.user("field")
    page = phone_page
    log_in(page, officer.email)
    page.goto("/deliver/")
    assert page.locator("head style").count() == 1
    page.wait_for_function(DELIVER_CACHED_JS, polling=100)
    page.wait_for_function(
        f"() => document.cookie.includes('{stylesheet.COOKIE}={stylesheet.VERSION}')",
        polling=100,
    )
    served = []
    page.on(
        "response",
        lambda r: served.append(r.from_service_worker) if r.url.endswith("kitlog.css") else None,
    )
    page.goto("/deliver/")
    assert page.locator("head style").count() == 0
    assert page.locator("link[rel=stylesheet]").count() == 1
    assert "system-ui" in page.evaluate(FONT_JS)
    assert served == [True]  # from the worker's shell: no request went out for it


def test_a_photo_of_a_label_loads_the_qr_decoder_then_and_finds_the_parcel(
    phone_page, make, app, tmp_path
):
    import qrcode

    world = DoorWorld(make)
    parcel = world.parcels[0]
    world.dispatch([parcel])
    photo = tmp_path / "label.png"
    qrcode.make(f"{app.config['BASE_URL']}/p/{parcel.token}").save(photo)
    officer = make.user("field")
    page = phone_page
    decoder: list[str] = []
    page.on("request", lambda r: decoder.append(r.url) if "/vendor/" in r.url else None)
    log_in(page, officer.email)
    page.goto("/deliver/")
    expect(page.locator("[data-photo]")).to_be_visible()
    assert decoder == []  # nothing of the decoder until the photo is taken
    with page.expect_navigation():
        page.locator("[data-photo-input]").set_input_files(str(photo))
    panel = page.locator("[data-parcel]")
    expect(panel.locator("[data-field=head_name]")).to_have_text(world.households[0].head_name)
    assert any(url.endswith("/vendor/barcode-detector/polyfill.js") for url in decoder)
    assert any(url.endswith("/vendor/zxing-wasm/zxing_reader.wasm") for url in decoder)
