"""kitlog configuration: the only module that reads KITLOG_* environment variables."""

from __future__ import annotations

import contextlib
import os
import secrets
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class Config:
    """Settings shared by every environment."""

    DATABASE_URL = _env("KITLOG_DATABASE_URL")  # None: SQLite in the instance folder
    SECRET_KEY = _env("KITLOG_SECRET_KEY")  # None: generated once into the instance folder
    BASE_URL = (_env("KITLOG_BASE_URL", "http://127.0.0.1:5000") or "").rstrip("/")
    TIMEZONE = _env("KITLOG_TIMEZONE", "Asia/Jakarta")
    DEMO = _env("KITLOG_DEMO", "1") != "0"
    ORGANISATION = _env("KITLOG_ORGANISATION", "IOM Indonesia")
    # Reverse proxies in front of kitlog whose X-Forwarded-* headers are trusted (0: none).
    # Behind one TLS proxy set 1, or every client looks like the proxy to the login throttle.
    TRUSTED_PROXIES = int(_env("KITLOG_TRUSTED_PROXIES", "0") or 0)

    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLITE_BUSY_TIMEOUT_MS = 15000
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024

    LANGUAGES = ("id", "en")
    BABEL_DEFAULT_LOCALE = "id"
    WTF_CSRF_CHECK_DEFAULT = False  # kitlog.security decides: session writes yes, bearer no
    WTF_CSRF_TIME_LIMIT = None  # valid for the whole session; field sessions are long
    WTF_I18N_ENABLED = False  # kitlog translates WTForms' messages in its own catalog

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # "Remember me" (a choice on the login form) lasts this long, in the cookie and on the
    # server; a login without it ends when the browser closes or after LOGIN_SESSION_DURATION.
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    LOGIN_SESSION_DURATION = timedelta(hours=12)

    # Failed logins within LOGIN_FAILURE_WINDOW_S (kitlog.services.users.ThrottleRules):
    LOGIN_FAILURE_WINDOW_S = 15 * 60
    LOGIN_FAILURE_LIMIT = 5  # for one account from one address, then 429
    LOGIN_FAILURE_ADDRESS_LIMIT = 20  # from one address, any account, then 429
    LOGIN_FAILURE_DELAY_AFTER = 5  # for one account from anywhere: then an address that
    LOGIN_FAILURE_DELAY_S = 2  # failed waits this long after its failure, doubling with
    LOGIN_FAILURE_DELAY_MAX_S = 60  # each further failure up to this (429, Retry-After)

    API_TITLE = "kitlog API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"


class DevelopmentConfig(Config):
    """`make run` and `kitlog run` on a laptop or a field server."""


class ProductionConfig(Config):
    """Behind a TLS proxy: cookies only over HTTPS."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


class TestConfig(Config):
    """The test suite: the database comes from the test fixture."""

    TESTING = True
    DEMO = False
    SECRET_KEY = "test-secret-key"  # noqa: S105 - tests only
    POSTGRES_TEST_URL = _env(
        "KITLOG_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    CI = _env("CI", "") in ("1", "true", "True", "yes")
    ARGON2_FAST = True  # cheap hashes so the suite stays fast; production uses the defaults


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestConfig,
}


def config_class() -> type[Config]:
    """The class named by KITLOG_ENV (development by default)."""
    return CONFIGS.get(_env("KITLOG_ENV", "development") or "development", DevelopmentConfig)


def sqlite_url(instance_path: str | Path) -> str:
    """The embedded default database, kept in the instance folder."""
    return f"sqlite:///{Path(instance_path) / 'kitlog.db'}"


def make_private_folder(path: str | Path) -> None:
    """Create the instance folder readable by its owner only (0700); an existing folder
    is left as its administrator set it."""
    folder = Path(path)
    if not folder.exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)


def make_private_sqlite_file(url: str) -> None:
    """Create a SQLite database file readable by its owner only (0600) before SQLite
    does (it would follow the umask, often 0644); its -wal and -shm files take the
    database file's mode. An existing file is left as it is."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return
    if database.startswith("file:") or parsed.query.get("uri"):
        return  # SQLite's own URI form: its options are SQLite's to apply
    # an existing file is kept as it is; a missing folder is SQLite's to report
    with contextlib.suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def load_or_create_secret_key(instance_path: str | Path) -> str:
    """Read the instance folder's secret key, creating it (mode 0600) on first start.

    Several workers may start at once: the key is written to a file of its own and then
    linked into place, so a worker never reads a file that is still empty, and every
    worker ends up with the one key that won."""
    path = Path(instance_path) / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    try:
        os.link(draft, path)  # atomic; fails when another worker's key is already there
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()
