"""The delivery page's first load paints from the one answer: it carries kitlog.css in a
<style> element that the Content-Security-Policy allows by its hash alone, until the
service worker holds the stylesheet (the cookie offline.js sets); and it carries no QR
decoder until a camera or a photo is used."""

from __future__ import annotations

import base64
import hashlib
import re

from kitlog import stylesheet

STYLE = re.compile(r"<style>(.*?)</style>", re.S)
LINK = '<link rel="stylesheet" href="/static/css/kitlog.css">'
SCRIPT_SRC = re.compile(r'<script src="([^"]+)"')
# a <script> element with text, not a JSON data block
INLINE_SCRIPT = re.compile(r"<script((?: data-[a-z]+=\"[^\"]*\")*)>(.+?)</script>", re.S)


def csp_sources(response, directive: str) -> list[str]:
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        if name == directive:
            return values
    return []


def test_the_delivery_pages_first_load_carries_the_stylesheet_allowed_by_its_hash(client, login):
    login("field")
    response = client.get("/deliver/")
    html = response.get_data(as_text=True)
    styles = STYLE.findall(html)
    assert len(styles) == 1
    assert LINK not in html
    text = styles[0]
    assert text == stylesheet.minify(stylesheet.STYLESHEET.read_text(encoding="utf-8"))
    assert ".door-lookup" in text and "&gt;" not in text  # the file's own text, unescaped
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    assert csp_sources(response, "style-src") == ["'self'", f"'sha256-{digest}'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


def test_once_the_service_worker_holds_the_stylesheet_the_page_links_it(client, login):
    login("field")
    client.set_cookie(stylesheet.COOKIE, stylesheet.VERSION)
    html = client.get("/deliver/").get_data(as_text=True)
    assert LINK in html
    assert "<style" not in html
    # and its scripts and logo, which the worker holds too: no script is written in
    assert INLINE_SCRIPT.findall(html) == []
    linked = SCRIPT_SRC.findall(html)
    assert {f"/static/js/{name}" for name in stylesheet.INLINE_SCRIPTS} <= set(linked)
    assert '<img src="/static/img/kitlog.svg"' in html


def test_the_first_load_carries_two_small_scripts_and_the_logo_and_fetches_six_files(client, login):
    """Over HTTP/1.1 a phone opens at most six connections to the server: with six files
    to fetch they all go out at once, and none waits for another to finish."""
    login("field")
    response = client.get("/deliver/")
    html = response.get_data(as_text=True)
    written = INLINE_SCRIPT.findall(html)
    files = {
        name: (stylesheet.STATIC / "js" / name).read_text()
        for name in ("offline.js", "parcel_actions.js")
    }
    assert [text for _attributes, text in written] == [
        files["offline.js"],
        files["parcel_actions.js"],
    ]  # unescaped, in the order they were linked
    assert 'data-sw="/sw.js"' in written[0][0]  # what offline.js reads of its element
    sources = csp_sources(response, "script-src")
    for text in files.values():
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in sources
    assert "'unsafe-inline'" not in sources
    linked = SCRIPT_SRC.findall(html)
    assert not [path for path in linked if path.endswith(stylesheet.INLINE_SCRIPTS)], linked
    images = re.findall(r'<img src="([^"]+)"', html)
    assert images and all(src.startswith("data:image/svg+xml;base64,") for src in images)
    assert base64.b64decode(images[0].split(",", 1)[1]) == stylesheet.LOGO.read_bytes()
    assert len(linked) + len([i for i in images if not i.startswith("data:")]) <= 6, linked


def test_a_script_that_would_close_its_element_is_never_written_in():
    for text in stylesheet.SCRIPTS.values():
        assert "</script" not in text.lower() and "<!--" not in text


def test_desk_pages_link_their_scripts_and_logo(client, login):
    login("admin")
    html = client.get("/dashboard").get_data(as_text=True)
    assert INLINE_SCRIPT.findall(html) == []
    assert '<img src="/static/img/kitlog.svg"' in html


def test_a_cookie_of_an_older_stylesheet_gets_the_stylesheet_written_in(client, login):
    login("field")
    client.set_cookie(stylesheet.COOKIE, "0" * len(stylesheet.VERSION))
    html = client.get("/deliver/").get_data(as_text=True)
    assert len(STYLE.findall(html)) == 1
    assert LINK not in html


def test_offline_js_is_told_which_stylesheet_the_page_may_link(client, login):
    login("field")
    html = client.get("/deliver/").get_data(as_text=True)
    assert f'data-stylesheet="{stylesheet.VERSION}"' in html


def test_the_delivery_page_loads_no_qr_decoder_until_a_camera_is_used(client, login):
    login("field")
    html = client.get("/deliver/").get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts  # the page's own scripts
    assert not [s for s in scripts if "vendor/" in s], scripts
    assert 'data-barcode-polyfill="/static/vendor/barcode-detector/polyfill.js"' in html


def test_desk_pages_still_link_the_stylesheet(client, login):
    login("admin")
    html = client.get("/dashboard").get_data(as_text=True)
    assert LINK in html
    assert "<style" not in html


def test_minifying_drops_comments_and_indentation_and_keeps_every_rule():
    css = '/* the door { } */\n.door {\n  color: red; /* why */\n}\n\n  .a > .b { content: "!"; }\n'
    assert stylesheet.minify(css) == '.door {\ncolor: red;\n}\n.a > .b { content: "!"; }'
    whole = stylesheet.STYLESHEET.read_text(encoding="utf-8")
    without_comments = re.sub(r"/\*.*?\*/", "", whole, flags=re.S)
    assert stylesheet.TEXT.count("{") == without_comments.count("{")
    assert stylesheet.TEXT.count("}") == without_comments.count("}")
