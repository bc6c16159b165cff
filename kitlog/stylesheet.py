"""kitlog.css written into an offline page's first load, until the service worker holds it.

On a slow mobile network every request waits its own latency (2 s on Chrome's "Slow 3G"):
a page that links its stylesheet paints after two of them, one for the page and one for
the stylesheet. The pages an officer opens on the road (the delivery page) therefore
carry the stylesheet in a <style> element, allowed by its hash in the
Content-Security-Policy (kitlog.headers), until offline.js has seen the service worker
active, which keeps the stylesheet with the rest of the shell: offline.js then sets the
cookie COOKIE to VERSION and the next pages link the stylesheet, served by the worker
without a request. A browser with no service worker (plain HTTP on a LAN) always gets it
written in: linked, the stylesheet would be asked for again on every page (no-cache).

The text is read once, when kitlog is imported: a stylesheet changed under a running
server is linked with its changes but written in as it was (restart the server).
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from flask import request
from markupsafe import Markup

STYLESHEET = Path(__file__).resolve().parent / "static" / "css" / "kitlog.css"
COOKIE = "kitlog_css"


def minify(css: str) -> str:
    """The stylesheet without its comments, indentation and blank lines: a fifth smaller
    gzipped. kitlog.css writes no string that holds a comment's marks or spans lines."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return "\n".join(line.strip() for line in css.splitlines() if line.strip())


TEXT = minify(STYLESHEET.read_text(encoding="utf-8"))
VERSION = hashlib.sha256(TEXT.encode()).hexdigest()[:16]
# the CSP source that allows exactly this <style> element's text
CSP_SOURCE = f"'sha256-{base64.b64encode(hashlib.sha256(TEXT.encode()).digest()).decode()}'"


def inline_stylesheet() -> Markup | None:
    """The stylesheet's text for a <style> element, or None when the service worker of this
    browser holds the stylesheet (offline.js set the cookie): link it then."""
    if request.cookies.get(COOKIE) == VERSION:
        return None
    return Markup(TEXT)  # noqa: S704 - kitlog's own stylesheet, read from the package
