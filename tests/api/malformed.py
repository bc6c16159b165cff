"""Broken request bodies every JSON endpoint must refuse, and the check of one refusal."""

from __future__ import annotations

import json

from tests.api.helpers import PROBLEM_JSON, row_counts

REFUSED = {400, 409, 415, 422}
RAW = "@@RAW@@"  # stands for a literal that json.dumps cannot write (1e400, NaN)


class Raw:
    """A JSON literal that json.dumps cannot write, put into a body as it is."""

    def __init__(self, literal: str):
        self.literal = literal

    def __repr__(self):
        return f"Raw({self.literal})"


def encode(body) -> bytes:
    """JSON text for a body whose values may include Raw literals."""
    raws = []

    def swap(value):
        if isinstance(value, Raw):
            raws.append(value.literal)
            return RAW
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    text = json.dumps(swap(body))
    for literal in raws:
        text = text.replace(f'"{RAW}"', literal, 1)
    return text.encode()


# (id, builder(valid body) -> (data bytes | None, content type | None))
WHOLE_BODY = [
    ("invalid-json", lambda b: (b"{not json", "application/json")),
    ("truncated-json", lambda b: (encode(b)[:-1], "application/json")),
    ("trailing-garbage", lambda b: (encode(b) + b"x", "application/json")),
    ("two-documents", lambda b: (encode(b) + encode(b), "application/json")),
    ("empty-json-body", lambda b: (b"", "application/json")),
    ("whitespace-json-body", lambda b: (b"  \n ", "application/json")),
    ("null", lambda b: (b"null", "application/json")),
    ("empty-object", lambda b: (b"{}", "application/json")),
    ("empty-list", lambda b: (b"[]", "application/json")),
    ("list-of-the-body", lambda b: (encode([b]), "application/json")),
    ("string", lambda b: (b'"hello"', "application/json")),
    ("number", lambda b: (b"5", "application/json")),
    ("true", lambda b: (b"true", "application/json")),
    ("deep-lists", lambda b: (b"[" * 100_000 + b"]" * 100_000, "application/json")),
    ("deep-objects", lambda b: (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "application/json")),
    ("5000-digit-number", lambda b: (b'{"quantity": ' + b"7" * 5000 + b"}", "application/json")),
    ("invalid-utf8", lambda b: (b'{"name": "\xff\xfe"}', "application/json")),
    ("utf16", lambda b: (json.dumps(b).encode("utf-16"), "application/json")),
    ("utf8-bom", lambda b: (b"\xef\xbb\xbf" + encode(b), "application/json")),
    (
        "lone-surrogate",
        lambda b: (encode({**b, "zz": 1}).replace(b'"zz"', b'"\\ud800"'), "application/json"),
    ),
    ("unknown-field", lambda b: (encode({**b, "evil": 1}), "application/json")),
    ("id-field", lambda b: (encode({**b, "id": 1}), "application/json")),
    ("text-plain", lambda b: (encode(b), "text/plain")),
    ("form-urlencoded", lambda b: (b"code=ECHO&name=x", "application/x-www-form-urlencoded")),
    ("multipart", lambda b: (b"--x\r\n\r\n--x--\r\n", "multipart/form-data; boundary=x")),
    ("xml", lambda b: (b"<batch/>", "application/xml")),
    ("json-without-content-type", lambda b: (encode(b), None)),
    ("nothing-at-all", lambda b: (None, None)),
]


def refusal_fault(client, path, headers, data, content_type) -> str | None:
    """What is wrong with the answer to one malformed request, or None when it is right."""
    before = row_counts()
    kwargs = {"headers": headers}
    if data is not None:
        kwargs["data"] = data
    if content_type is not None:
        kwargs["content_type"] = content_type
    response = client.post(path, **kwargs)
    if response.status_code not in REFUSED:
        return f"status {response.status_code}: {response.get_data()[:300]!r}"
    if response.mimetype != PROBLEM_JSON:
        return f"content type {response.mimetype}"
    body = response.get_json()
    if not {"type", "title", "status", "detail"} <= set(body):
        return f"not a problem: {body}"
    if body["status"] != response.status_code:
        return f"status {body['status']} in a {response.status_code} answer"
    for error in body.get("errors", []):
        if not (isinstance(error["field"], str) and isinstance(error["message"], str)):
            return f"bad errors entry {error}"
    if row_counts() != before:
        return "the database changed"
    return None
