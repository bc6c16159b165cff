"""kitlog: humanitarian aid kits tracked from the donor batch to the household."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from kitlog import config as kitlog_config
from kitlog.markup import JSONProvider
from kitlog.unit_of_work import UnitOfWorkFlask

PACKAGE_DIR = Path(__file__).resolve().parent


def _bundled(folder: str) -> Path:
    """A folder of the repository's top level (templates, migrations) that the built wheel
    installs inside the package: there when installed, beside the package in a checkout."""
    inside = PACKAGE_DIR / folder
    return inside if inside.is_dir() else PACKAGE_DIR.parent / folder


TEMPLATE_FOLDER = _bundled("templates")
MIGRATIONS_FOLDER = _bundled("migrations")


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, error handlers, CLI, languages."""
    app = UnitOfWorkFlask(
        __name__,
        template_folder=str(TEMPLATE_FOLDER),
        instance_path=instance_path,
        instance_relative_config=True,
    )
    app.json = JSONProvider(app)
    app.config.from_object(
        kitlog_config.TestConfig if test_config is not None else kitlog_config.config_class()
    )
    if test_config:
        app.config.from_mapping(test_config)
    kitlog_config.make_private_folder(app.instance_path)
    if not app.config.get("SECRET_KEY"):
        if app.config.get("SESSION_COOKIE_SECURE"):  # KITLOG_ENV=production
            raise RuntimeError(
                "KITLOG_ENV=production needs KITLOG_SECRET_KEY: one random value, the same on"
                " every worker and every app server (sessions and CSRF tokens are signed with"
                " it). Make one with: python3 -c 'import secrets; print(secrets.token_hex(32))'"
            )
        app.config["SECRET_KEY"] = kitlog_config.load_or_create_secret_key(app.instance_path)
    url = app.config.get("DATABASE_URL") or kitlog_config.sqlite_url(app.instance_path)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    kitlog_config.make_private_sqlite_file(url)
    engine_options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    # A database error names the failing statement but never its values (a NIK, a name):
    # errors reach the log.
    engine_options.setdefault("hide_parameters", True)
    # PostgreSQL's JIT compiles any plan whose estimated cost is high, such as a report
    # over a million ledger rows: seconds of compiling for a query that runs in
    # milliseconds. kitlog's queries are short, so it is off on kitlog's connections
    # (unless the URL sets its own ?options=).
    if url.startswith("postgresql") and "options=" not in url:
        engine_options.setdefault("connect_args", {}).setdefault("options", "-c jit=off")

    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    from kitlog import routing

    routing.init_app(app)
    _init_extensions(app)
    _register_blueprints(app)

    from kitlog import cli, errors, templating

    templating.init_app(app)

    errors.init_app(app)
    cli.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    from kitlog import compression, headers, i18n, security, unit_of_work
    from kitlog.extensions import configure_sqlite, csrf, db, migrate, ping_idle_connections
    from kitlog.services import users

    db.init_app(app)
    unit_of_work.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
        if db.engine.dialect.name == "postgresql":
            ping_idle_connections(db.engine)
    migrate.init_app(
        app, db, directory=str(MIGRATIONS_FOLDER), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    headers.init_app(app)
    compression.init_app(app)
    if app.config.get("ARGON2_FAST"):
        users.use_fast_hashing()


def _register_blueprints(app: Flask) -> None:
    from kitlog.blueprints import register_all

    register_all(app)
