"""`pip install .` gives a kitlog that runs: the wheel carries its templates, migrations,
static files, the PDFs' fonts, the official list of places, compiled translations and
configuration inside the `kitlog` package, and installs nothing else at the top level of
site-packages.

The wheel is built from a copy of the checkout's files (so nothing git-ignored, such as a
compiled catalog, comes along) and installed into a fresh virtual environment outside the
checkout. That environment takes kitlog's dependencies from the test's own environment
(one .pth line) and kitlog only from the wheel. From an empty directory it then migrates a
new SQLite database with `kitlog db upgrade` and serves `gunicorn 'kitlog:create_app()'`:
a page, a static file and a page in Indonesian.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from markupsafe import escape

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120
# Where the fresh environment finds kitlog, and that it finds no `config` or `wsgi` module.
FIND_KITLOG = """
import importlib.util, kitlog
print(kitlog.__file__)
print(importlib.util.find_spec("config"), importlib.util.find_spec("wsgi"))
"""


def _checkout_files() -> list[str]:
    """The checkout's files as a fresh clone would have them (tracked or about to be)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted(name for name in listed.split("\0") if name and (ROOT / name).is_file())


def _expected_in_wheel(files: list[str]) -> set[str]:
    """Where each of the checkout's files belongs in the wheel, if it belongs there."""
    expected = set()
    for name in files:
        top, _, rest = name.partition("/")
        if top in ("templates", "migrations"):
            expected.add(f"kitlog/{top}/{rest}")
        elif top == "kitlog" and (
            name.endswith(".py") or rest.startswith(("static/", "fonts/", "data/"))
        ):
            expected.add(name)
        elif top == "kitlog" and name.endswith(".po"):
            expected |= {name, name.removesuffix(".po") + ".mo"}  # compiled by the build
    return expected


@pytest.fixture(scope="module")
def wheel(db_backend, tmp_path_factory) -> Path:
    """The wheel `pip wheel .` builds from a copy of the checkout's files. Built and served
    in the SQLite half only: it is the same wheel on both databases."""
    if db_backend != "sqlite":
        pytest.skip("the wheel is tested in the SQLite half")
    setuptools = tuple(int(part) for part in version("setuptools").split(".")[:2])
    if setuptools < (70, 1):  # older ones need the separate `wheel` package to build one
        pytest.fail(
            f"setuptools {version('setuptools')} cannot build the wheel without build isolation:"
            " install the dev extra (pip install -e '.[dev]', which make test does)"
        )
    tmp_path = tmp_path_factory.mktemp("wheel")
    source, dist = tmp_path / "source", tmp_path / "dist"
    for name in _checkout_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
        + ["--no-index", "--disable-pip-version-check", "--quiet", "-w", str(dist), "."],
        cwd=source,
        check=True,
        timeout=TIMEOUT,
    )
    (built,) = dist.glob("kitlog-*.whl")
    return built


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
        return answer.status, answer.read()


def test_the_wheel_holds_kitlog_and_nothing_beside_it(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (record,) = [name for name in names if name.endswith(".dist-info/RECORD")]
        recorded = {line.split(",")[0] for line in archive.read(record).decode().splitlines()}
    assert recorded == names
    dist_info = record.rsplit("/", 1)[0]
    outside = sorted(name for name in names if not name.startswith(("kitlog/", f"{dist_info}/")))
    assert outside == []  # no top-level config.py or wsgi.py in site-packages
    assert "kitlog/config.py" in names

    expected = _expected_in_wheel(_checkout_files())
    for folder in ("templates/auth/", "migrations/versions/", "static/css/"):
        assert any(name.startswith(f"kitlog/{folder}") for name in expected), folder
    assert "kitlog/translations/id/LC_MESSAGES/messages.mo" in expected
    assert sorted(expected - names) == []


def test_the_installed_wheel_migrates_and_serves_from_any_directory(wheel, tmp_path):
    venv, elsewhere = tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=TIMEOUT
    )
    python = venv / "bin" / "python"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV") and not key.startswith("KITLOG_")
    }
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps"]
        + ["--no-index", "--disable-pip-version-check", "--quiet", str(wheel)],
        cwd=elsewhere,
        env=env,
        check=True,
        timeout=TIMEOUT,
    )
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.strip()
    # The dependencies, after the wheel is in (so pip never sees the test's kitlog there).
    dependencies = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(site_packages, "kitlog_test_dependencies.pth").write_text("\n".join(dependencies) + "\n")

    found = subprocess.run(
        [str(python), "-c", FIND_KITLOG],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert Path(found[0]).resolve().is_relative_to(venv.resolve()), found
    assert found[1] == "None None", found

    database = tmp_path / "kitlog.db"
    env |= {
        "KITLOG_DATABASE_URL": f"sqlite:///{database}",
        "KITLOG_SECRET_KEY": "wheel-test-secret",
        "KITLOG_ENV": "development",
    }
    upgrade = subprocess.run(
        [str(venv / "bin" / "kitlog"), "db", "upgrade"],
        cwd=elsewhere,
        env=env,
        timeout=TIMEOUT,
        capture_output=True,
        text=True,
    )
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    with sqlite3.connect(database) as connection:
        (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert revision
    assert {"users", "scans", "parcels"} <= tables

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(python), "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}"]
        + ["kitlog:create_app()"],
        cwd=elsewhere,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, css = _get(f"{base}/static/css/kitlog.css")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(
                        f"gunicorn did not start:\n{(tmp_path / 'gunicorn.log').read_text()}"
                    )
                time.sleep(0.2)
        assert status == 200
        assert css == (ROOT / "kitlog" / "static" / "css" / "kitlog.css").read_bytes()

        english = "Log in to kitlog"
        with (ROOT / "kitlog/translations/id/LC_MESSAGES/messages.po").open("rb") as po:
            indonesian = read_po(po, locale="id")[english].string
        assert indonesian and indonesian != english
        status, page = _get(f"{base}/login", {"Accept-Language": "en"})
        assert status == 200
        assert english in page.decode()
        status, page = _get(f"{base}/login", {"Accept-Language": "id"})
        assert status == 200
        assert str(escape(indonesian)) in page.decode()
        assert english not in page.decode()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    assert list(elsewhere.iterdir()) == []  # the instance folder is the environment's
    assert (venv / "var" / "kitlog-instance").is_dir()
