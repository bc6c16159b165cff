"""What page tests do across areas: upload a households file and follow its import job,
post a page's one-button form, read a form's fields, the visible words and a parcel's status."""

from __future__ import annotations

import io
import re
import time
from html import unescape
from html.parser import HTMLParser

from kitlog.extensions import db
from kitlog.models import Parcel
from tests.web.conftest import csrf_token

UPLOAD = "/households/imports/new"


def upload(client, content: bytes, filename: str):
    """Send a households file through the import page's form."""
    token = csrf_token(client.get(UPLOAD).get_data(as_text=True))
    return client.post(
        UPLOAD,
        data={"csrf_token": token, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def post_form(client, page: str, action: str):
    """Press a button of `page`: post its form to `action` with the page's CSRF token."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token})


def wait_until_settled(client, page: str, timeout: float = 60):
    """Reload the job page as the browser does until it stops refreshing itself."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(page)
        assert response.status_code == 200
        if "Refresh" not in response.headers:
            return response
        html = response.get_data(as_text=True)
        assert '<meta http-equiv="refresh" content="2">' in html
        assert re.search(r'<progress max="100" value="\d+"', html)
        assert time.monotonic() < deadline, "the import did not finish"
        time.sleep(0.2)


VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class _Visible(HTMLParser):
    """The words of a page outside elements marked `hidden` (and scripts)."""

    def __init__(self):
        super().__init__()
        self.stack: list[bool] = []
        self.words: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        hides = tag in ("script", "style", "template") or any(k == "hidden" for k, _v in attrs)
        self.stack.append(hides or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.words.append(data)


def visible_text(response) -> str:
    """What a reader sees of the page: text_of without the parts the page hides."""
    parser = _Visible()
    parser.feed(response.get_data(as_text=True))
    return re.sub(r"\s+", " ", " ".join(parser.words)).strip()


def hidden(html: str, name: str) -> str:
    """The value of a form field the page holds (hidden inputs, the CSRF token)."""
    match = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*\bvalue="([^"]*)"', html)
    assert match, f"the page holds no field {name}"
    return unescape(match.group(1))


def status_of(parcel: Parcel) -> str:
    """The parcel's status as stored now, not as this session last loaded it."""
    db.session.expire_all()
    return db.session.get(Parcel, parcel.id).status


# Pages every role's menu leads to, checked for their markup (no inline script or style,
# no duplicate id, no aria-invalid="None").
PAGES = [
    "/",
    "/dashboard",
    "/profile",
    "/donors",
    "/donors/new",
    "/kit-types",
    "/kit-types/new",
    "/warehouses",
    "/warehouses/new",
    "/donors/KOICA/edit",
    "/kit-types/HK-FAM/edit",
    "/warehouses/JKT-01/edit",
    "/stock/batches",
    "/stock/batches/{batch}",
    "/stock/receive",
    "/stock/transfer",
    "/stock/adjust",
    "/stock/movements",
    "/stock/movements?warehouse=abc",
    "/admin/users",
    "/admin/users/new",
]


def door_form(client, parcel: Parcel, action: str) -> dict:
    """The delivery page's form for one parcel, as the page filled it in."""
    html = client.get(f"/deliver/?code={parcel.short_code}").get_data(as_text=True)
    return {
        "csrf_token": hidden(html, f"{action}-csrf_token"),
        f"{action}-code": hidden(html, f"{action}-code"),
        f"{action}-idempotency_key": hidden(html, f"{action}-idempotency_key"),
        "action": action,
    }


def post_and_follow(client, path: str, data: dict):
    """Send a form that answers with a redirect, and read the page it leads to."""
    response = client.post(path, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return client.get(response.headers["Location"])
