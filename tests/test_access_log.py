"""The access log carries no personal data and no secret, in both servers kitlog runs
under: werkzeug's (`kitlog run`, `make run`) and gunicorn with kitlog's logger class. A
household search's NIK (a query string) never reaches it, nor a whole token in a path."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from kitlog.access_log import TOKEN_PREFIXES, RequestHandler, redact

ROOT = Path(__file__).resolve().parent.parent
NIK = "3507124501850001"
TOKEN = "Zq8vJ1m2Kx9pL0aB3cD4eF5gH6iJ7kL8"
PATHS = [
    f"/households/?q={NIK}",
    f"/p/{TOKEN}",
    f"/share/{TOKEN}.csv",
    f"/api/v1/parcels/{TOKEN}",
    f"/login?next=%2Fhouseholds%2F%3Fq%3D{NIK}",
]


def _get(base: str, path: str, headers: dict | None = None) -> None:
    request = urllib.request.Request(base + path, headers=headers or {})  # noqa: S310
    with contextlib.suppress(urllib.error.HTTPError):  # a 4xx is logged all the same
        urllib.request.urlopen(request, timeout=30).close()  # noqa: S310 - loopback


def _assert_private(log: str) -> None:
    assert log.strip(), "nothing was logged"
    assert NIK not in log
    assert NIK[:8] not in log
    assert TOKEN[:5] not in log  # four characters, no more
    assert f"/p/{TOKEN[:4]}..." in log  # the request is still there, to tell apart
    assert f"/share/{TOKEN[:4]}..." in log
    assert "/households/ " in log


def test_the_development_server_logs_no_query_string_and_no_whole_token(app, caplog):
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=RequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            for path in PATHS:
                _get(f"http://127.0.0.1:{server.server_port}", path)
    finally:
        server.shutdown()
        thread.join(timeout=10)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert len([line for line in lines if "HTTP/1.1" in line]) >= len(PATHS)  # + redirects
    _assert_private("\n".join(lines))


def test_kitlog_run_serves_with_the_redacting_request_handler(runner, monkeypatch):
    served = {}
    monkeypatch.setattr(
        "werkzeug.serving.run_simple", lambda *args, **kwargs: served.update(kwargs)
    )
    result = runner.invoke(args=["run", "--port", "5999"])
    assert result.exit_code == 0, result.output
    assert served["request_handler"] is RequestHandler


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_with_kitlogs_logger_class_logs_no_personal_data(database_url, tmp_path):
    """The README's production command line; every atom a log format could name."""
    port, access = _free_port(), tmp_path / "access.log"
    atoms = "%(h)s %(r)s %(U)s %(q)s %(s)s %(f)s %({referer}i)s %({location}o)s"
    atoms += " %({cookie}i)s %({authorization}i)s %({set-cookie}o)s %({raw_uri}e)s"
    env = {
        **os.environ,
        "KITLOG_DATABASE_URL": database_url,
        "KITLOG_SECRET_KEY": "access-log-test-secret",
        "KITLOG_ENV": "development",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}"]
        + ["--logger-class", "kitlog.gunicorn.AccessLogger"]
        + ["--access-logfile", str(access), "--access-logformat", atoms, "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/static/css/kitlog.css", timeout=2).close()  # noqa: S310
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("gunicorn did not start")
                time.sleep(0.2)
        headers = {
            "Referer": f"{base}/households/?q={NIK}&p=/p/{TOKEN}",
            "Cookie": f"session={TOKEN}",
            "Authorization": f"Bearer kl_{TOKEN}",
        }
        for path in PATHS:
            _get(base, path, headers)
    finally:
        process.terminate()
        process.wait(timeout=30)
    log = access.read_text()
    assert len([line for line in log.splitlines() if "HTTP/1.1" in line]) >= len(PATHS)
    _assert_private(log)
    assert "session=" not in log and "Bearer" not in log


@pytest.mark.parametrize(
    ("line", "logged"),
    [
        (f"GET /households/?q={NIK} HTTP/1.1", "GET /households/ HTTP/1.1"),
        (f"GET /p/{TOKEN}/scan HTTP/1.1", "GET /p/Zq8v.../scan HTTP/1.1"),
        (f"GET /share/{TOKEN}.xlsx HTTP/1.1", "GET /share/Zq8v....xlsx HTTP/1.1"),
        (
            f"DELETE /api/v1/manifests/7/parcels/{TOKEN}",
            "DELETE /api/v1/manifests/7/parcels/Zq8v...",
        ),
        (f"http://x/p/{TOKEN}?a=1", "http://x/p/Zq8v..."),
    ],
)
def test_a_request_line_keeps_its_path_and_a_tokens_first_characters(line, logged):
    assert redact(line) == logged


def test_every_route_with_a_token_in_its_path_is_redacted(app):
    """A new route with <token> (or a parcel's code, which may be its token) in its path
    must be one TOKEN_PREFIXES cuts short."""
    for rule in app.url_map.iter_rules():
        secret = {"token"} & rule.arguments
        if "code" in rule.arguments and "parcels" in rule.rule:
            secret.add("code")
        if not secret:
            continue
        values = {name: 7 for name in rule.arguments}
        values.update(dict.fromkeys(secret, TOKEN))
        path = app.url_map.bind("localhost").build(rule.endpoint, values)
        assert TOKEN not in redact(f"GET {path} HTTP/1.1"), (rule.rule, TOKEN_PREFIXES)
