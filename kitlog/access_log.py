"""The access log carries no personal data and no secret: a household search puts a NIK
in the query string, and a parcel's or a shared report's token in the path is the key to
it. Query strings are dropped, and a token in a path keeps only its first characters
(enough to tell two requests apart). Used by `kitlog run` (werkzeug) and by gunicorn
(kitlog.gunicorn.AccessLogger)."""

from __future__ import annotations

import re

from werkzeug.serving import WSGIRequestHandler

TOKEN_SHOWN = 4  # characters of a token kept in the log

# Paths whose next segment is a secret, or a parcel's code that may be its token: the
# parcel page (/p/<token>), a shared donor report (/share/<token>, .csv, .pdf, .xlsx) and
# the API's parcels (/api/v1/parcels/<code>, /api/v1/manifests/<id>/parcels/<code>), a
# household card (/h/<token>), its household's feedback page (/f/<token>) and the API's
# card lookup (/api/v1/cards/<card>).
TOKEN_PREFIXES = (
    "/p/",
    "/share/",
    "/h/",
    "/f/",
    "/api/v1/parcels/",
    "/api/v1/manifests/*/parcels/",
    "/api/v1/cards/",
)

_TOKEN_PATH = re.compile(
    r"(?P<head>/p/|/share/|/h/|/f/|/api/v1/parcels/|/api/v1/manifests/[^/?#\s]*/parcels/"
    r"|/api/v1/cards/)"
    r"(?P<token>[^/?#\s\"'.]+)"
)
_QUERY = re.compile(r"\?[^\s\"']*")


def _shorten(match: re.Match) -> str:
    token = match.group("token")
    shown = token if len(token) <= TOKEN_SHOWN else f"{token[:TOKEN_SHOWN]}..."
    return match.group("head") + shown


def redact(text: str) -> str:
    """A request line, path, URL or message with no query string and only a token's prefix."""
    return _TOKEN_PATH.sub(_shorten, _QUERY.sub("", text or ""))


class RequestHandler(WSGIRequestHandler):
    """werkzeug's development server (`kitlog run`), logging redacted request lines."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = getattr(self, "path", "")  # not set when the request line was bad
        line = f"{self.command} {path} {self.request_version}" if path else self.requestline
        line = redact(line)
        self.log("info", '"%s" %s %s', line.translate(self._control_char_table), code, size)

    def log_error(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        self.log("error", "%s", redact(format % args if args else format))

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        self.log("info", "%s", redact(format % args if args else format))
