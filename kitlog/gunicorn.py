"""gunicorn's access log without personal data or secrets:
`gunicorn --logger-class kitlog.gunicorn.AccessLogger ... 'kitlog:create_app()'`."""

from __future__ import annotations

from gunicorn.glogging import Logger

from kitlog.access_log import redact

# Request and response headers (and their environ copies) that are credentials.
SECRET_HEADERS = ("cookie", "authorization", "x-csrftoken")


class AccessLogger(Logger):
    """Every atom of an access log line is redacted: no query string (%(q)s is empty),
    a token in a path or a referrer cut to its first characters, no cookie and no
    Authorization header."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name, value in atoms.items():
            if any(secret in name for secret in SECRET_HEADERS):
                atoms[name] = "-"
            elif isinstance(value, str):
                atoms[name] = redact(value)
        atoms["q"] = ""
        return atoms
