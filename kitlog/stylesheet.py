"""kitlog.css (and two small scripts, the logo) written into an offline page's first load.

On a slow mobile network every request waits its own latency (2 s on Chrome's "Slow 3G"):
a page that links its stylesheet paints after two of them, one for the page and one for
the stylesheet. The pages an officer opens on the road (the delivery page) therefore
carry the stylesheet in a <style> element, allowed by its hash in the
Content-Security-Policy (kitlog.headers), until offline.js has seen the service worker
active, which keeps the stylesheet with the rest of the shell: offline.js then sets the
cookie COOKIE to VERSION and the next pages link the stylesheet, served by the worker
without a request. A browser with no service worker (plain HTTP on a LAN) always gets it
written in: linked, the stylesheet would be asked for again on every page (no-cache).

The same first load carries the two smallest scripts of the page (offline.js and
parcel_actions.js, in <script> elements allowed by their hashes) and the logo (a data:
URL), under the same condition. Over HTTP/1.1 a browser opens at most six connections to
a server, each request waiting its own latency: with the logo and eight scripts linked,
the last three waited for a connection to free, a third round of latency before the page
was loaded. With six files left, they all go out at once.

The texts are read once, when kitlog is imported: a file changed under a running server
is linked with its changes but written in as it was (restart the server).
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from flask import request
from markupsafe import Markup

STATIC = Path(__file__).resolve().parent / "static"
STYLESHEET = STATIC / "css" / "kitlog.css"
# the scripts a first load may carry in the page, by their name under static/js
INLINE_SCRIPTS = ("offline.js", "parcel_actions.js")
LOGO = STATIC / "img" / "kitlog.svg"
COOKIE = "kitlog_css"


def minify(css: str) -> str:
    """The stylesheet without its comments, indentation and blank lines: a fifth smaller
    gzipped. kitlog.css writes no string that holds a comment's marks or spans lines."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return "\n".join(line.strip() for line in css.splitlines() if line.strip())


TEXT = minify(STYLESHEET.read_text(encoding="utf-8"))
VERSION = hashlib.sha256(TEXT.encode()).hexdigest()[:16]


def csp_hash(text: str) -> str:
    """The Content-Security-Policy source that allows exactly this element's text."""
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


CSP_SOURCE = csp_hash(TEXT)
SCRIPTS = {name: (STATIC / "js" / name).read_text(encoding="utf-8") for name in INLINE_SCRIPTS}
for _name, _text in SCRIPTS.items():
    if "</script" in _text.lower() or "<!--" in _text:
        raise RuntimeError(
            f"static/js/{_name} cannot be written into a page: it closes the element"
        )
# the sources that allow exactly these <script> elements' texts
SCRIPT_CSP_SOURCES = " ".join(csp_hash(text) for text in SCRIPTS.values())
LOGO_URL = "data:image/svg+xml;base64," + base64.b64encode(LOGO.read_bytes()).decode()


def shell_kept() -> bool:
    """Whether this browser's service worker holds the shell (offline.js set the cookie):
    the page links its files then, which the worker serves with no request."""
    return request.cookies.get(COOKIE) == VERSION


def inline_stylesheet() -> Markup | None:
    """The stylesheet's text for a <style> element, or None when the service worker of this
    browser holds the stylesheet: link it then."""
    if shell_kept():
        return None
    return Markup(TEXT)  # noqa: S704 - kitlog's own stylesheet, read from the package


def inline_script(name: str) -> Markup | None:
    """The text of static/js/`name` (one of INLINE_SCRIPTS) for a <script> element, or None
    when the service worker holds the shell: link it then."""
    if shell_kept():
        return None
    return Markup(SCRIPTS[name])  # noqa: S704 - kitlog's own script, read from the package
