"""Fixtures: app, client, runner, auth, api and factories, on SQLite or PostgreSQL.

Run on PostgreSQL with `pytest --db postgresql` (the URL comes from
KITLOG_TEST_DATABASE_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test).
The schema is built once per run by the migrations themselves; every test then starts
from empty tables.
"""

from __future__ import annotations

import contextvars
import glob
import importlib.util
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from click.testing import Result
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy import Engine, create_engine, make_url, select, text
from werkzeug.serving import make_server

import config as kitlog_config
from kitlog import create_app
from kitlog.extensions import IDLE_PING_S, db, ping_idle_connections
from kitlog.models import Donor, KitType, Parcel, Warehouse
from kitlog.services import distribution, households, places, reference, stock, users
from kitlog.services.reference import ContentLine
from tests.places import village

PASSWORD = "correct horse battery"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "kitlog" / "translations"
# scripts/run_tests.py --clock-offset DAYS: the whole run, its subprocesses and the
# browser see a wall clock that many days ahead (tests/future_clock/sitecustomize.py).
CLOCK_OFFSET_ENV = "KITLOG_TEST_CLOCK_OFFSET_DAYS"
FUTURE_CLOCK = Path(__file__).resolve().parent / "future_clock"
LIBFAKETIME = "/usr/lib/*/faketime/libfaketime.so.1"


def clock_offset_days() -> int:
    """The days the test run's wall clock is ahead of the real one (0: the real clock)."""
    return int(os.environ.get(CLOCK_OFFSET_ENV) or 0)


def _start_future_clock() -> None:
    """With an offset, this process travels ahead (unless its sitecustomize already did) and
    every Python process it starts finds tests/future_clock on PYTHONPATH and does too."""
    if not clock_offset_days():
        return
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(FUTURE_CLOCK) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(FUTURE_CLOCK), *paths])
    if getattr(sys.modules.get("sitecustomize"), "ENV", None) != CLOCK_OFFSET_ENV:
        spec = importlib.util.spec_from_file_location(
            "kitlog_future_clock", FUTURE_CLOCK / "sitecustomize.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)


def years_ahead(years: int = 4) -> date:
    """A day `years` years after today: an expiry date that stays in the future (and out of
    "nearing expiry") whatever the date the suite runs on."""
    return date.today() + timedelta(days=365 * years)


def faked_clock_env() -> dict[str, str]:
    """What a program that is not Python (Chromium) needs in its environment to see the same
    clock: libfaketime with the offset. The monotonic clock stays real (with it faked, timed
    waits hang) and so does libfaketime's monotonic fix (with it, Chromium crawls)."""
    days = clock_offset_days()
    if not days:
        return {}
    found = sorted(glob.glob(LIBFAKETIME))
    if not found:
        pytest.fail(
            f"{CLOCK_OFFSET_ENV}={days}: the browser needs libfaketime (apt-get install faketime)",
            pytrace=False,
        )
    return {
        "LD_PRELOAD": found[0],
        "FAKETIME": f"{days:+d}d",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "FAKETIME_FORCE_MONOTONIC_FIX": "0",
    }


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        default="sqlite",
        choices=["sqlite", "postgresql"],
        help="database to run the suite on",
    )


def pytest_configure(config):
    _start_future_clock()


def pytest_report_header(config):
    header = [f"kitlog database: {config.getoption('--db')}"]
    if clock_offset_days():
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        header.append(f"kitlog clock: {clock_offset_days():+d} days, now {now}")
    return header


# Tests whose outcome cannot depend on the database: the browser tests (they drive pages
# whose every rule the API and service tests check on both databases) and the documents'
# (PDF and spreadsheet layout, QR codes). `make test` runs them once, in the SQLite half;
# `pytest --db postgresql` alone still runs them.
ONE_DATABASE_DIRECTORIES = ("browser", "documents")


def reaches_the_database(item) -> bool:
    """Whether the test can see which database `--db` chose. Every way to the test database
    (app, client, make, database_url, worker_app, database_template) goes through the
    db_backend fixture, so a test without it in its fixture closure (pure functions,
    translations, documentation, tooling) runs the same on both."""
    return "db_backend" in getattr(item, "fixturenames", ())


# The tests that take several seconds each (a whole module, or one test function with all
# its parameters), started first: pytest-xdist hands out tests in the order collected, so
# one left for the end keeps a worker busy while the other has nothing more to do. Only
# the order changes; a name that no longer exists costs nothing.
LONG_FIRST = (
    "tests/api/test_schemathesis.py",
    "tests/test_access_matrix.py::test_every_route_answers_each_role_as_the_matrix_says",
    "tests/cli/test_commands.py",
    "tests/services/test_imports.py::test_50000_rows_import_in_one_go",
    "tests/test_wheel_install.py",
    "tests/test_killed_midway.py",
    "tests/test_tooling.py::test_bench_builds_and_times_a_small_ledger",
    "tests/test_gunicorn_race.py",
    "tests/test_access_log.py::test_gunicorn_with_kitlogs_logger_class_logs_no_personal_data",
    "tests/services/test_manifests.py::test_the_demo_manifests_keep_the_manifest_rules_and_reconcile",
    "tests/web/test_hostile_inputs.py::test_hostile_values_in_the_forms_never_break_them_and_a_refusal_changes_nothing",
    "tests/browser/test_axe.py",
    "tests/test_web_security.py::test_every_post_form_on_every_page_carries_a_csrf_token",
    "tests/browser/test_phone_reach.py",
    "tests/services/test_scan_properties.py",
    "tests/services/test_allocation_properties.py",
    "tests/services/test_stock_properties.py",
    "tests/schema/test_migrations.py",
    "tests/schema/test_append_only.py::test_kitlog_db_upgrade_creates_the_append_only_triggers",
)


def _long(item) -> bool:
    path, _, name = item.nodeid.partition("::")
    return path in LONG_FIRST or f"{path}::{name.split('[')[0]}" in LONG_FIRST


def pytest_collection_modifyitems(config, items):
    tests_dir = Path(__file__).parent
    items.sort(key=lambda item: not _long(item))  # stable: the rest keep their order
    once = pytest.mark.one_database
    for item in items:
        parts = Path(item.fspath).relative_to(tests_dir).parts
        if "postgresql_only" in item.keywords:
            continue
        if parts[0] in ONE_DATABASE_DIRECTORIES or not reaches_the_database(item):
            item.add_marker(once)
    if config.getoption("--db") == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run with --db postgresql")
    for item in items:
        if "postgresql_only" in item.keywords:
            item.add_marker(skip)


def _compile_catalogs() -> None:
    """Compile every catalog into its git-ignored .mo (atomically: tests may run in parallel
    workers), unless the .mo already holds exactly what the .po says."""
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        with open(po_path, "rb") as po:
            catalog = read_po(po, locale=po_path.parent.parent.name)
        buffer = BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        compiled = buffer.getvalue()
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.read_bytes() == compiled:
            continue
        fd, tmp = tempfile.mkstemp(dir=mo_path.parent, prefix=".messages-", suffix=".mo")
        with os.fdopen(fd, "wb") as out:
            out.write(compiled)
        os.replace(tmp, mo_path)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """The app reads kitlog/translations/*/LC_MESSAGES/messages.mo: a fresh clone (where
    .mo files are git-ignored) gets them, up to date, before any test runs."""
    _compile_catalogs()


@pytest.fixture(scope="session")
def db_backend(request) -> str:
    return request.config.getoption("--db")


# Where the SQLite half keeps its throwaway database files: in memory, when the machine has
# a /dev/shm. Each test replaces its 8.8 MB database (most of it the official places) with a
# fresh copy; on a disk the copy and the unlink of the old file wait on the file system's
# journal (about 27 ms a test here, against 10 ms in memory).
IN_MEMORY = Path("/dev/shm")  # noqa: S108 - mkdtemp makes each run a private folder in it


@pytest.fixture(scope="session")
def sqlite_folder(tmp_path_factory):
    """A folder for this process's SQLite files, removed at the end of the run."""
    if not (IN_MEMORY.is_dir() and os.access(IN_MEMORY, os.W_OK)):
        yield tmp_path_factory.mktemp("sqlite")
        return
    folder = Path(tempfile.mkdtemp(prefix="kitlog-test-", dir=IN_MEMORY))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def database_template(db_backend, sqlite_folder, tmp_path_factory) -> str:
    """A migrated, empty database: a file to copy (SQLite) or a reset schema (PostgreSQL)."""
    if db_backend == "sqlite":
        path = sqlite_folder / "template.db"
        url = f"sqlite:///{path}"
    else:
        url = _worker_database(kitlog_config.TestConfig.POSTGRES_TEST_URL)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"DATABASE_URL": url}, instance_path=str(tmp_path_factory.mktemp("inst")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database (`test_gw0`, ...),
    created on first use next to the configured one, so workers never empty each other's
    tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


_EMPTY_ALL: dict[str, str] = {}
# Tables the migrations fill and tests only read: the official places (91,599 rows).
KEPT_TABLES = frozenset({"places"})


def _truncate_all(url: str) -> None:
    """Empty every table and restart every id at 1, as TRUNCATE … RESTART IDENTITY does.

    A DELETE of nearly empty tables costs a fraction of a TRUNCATE (which rewrites each
    table's files): about 20 ms against 110 ms here, for each of some 1,900 tests. The
    append-only triggers (ledger, scans, audit log) and foreign keys are user triggers,
    which `session_replication_role = replica` leaves out for this one transaction."""
    engine = _reset_engine(url)
    with engine.begin() as conn:
        if url not in _EMPTY_ALL:
            sequences = conn.execute(
                text(
                    "SELECT pg_get_serial_sequence(format('%I', c.table_name), c.column_name)"
                    " FROM information_schema.columns c WHERE c.table_schema = 'public'"
                    " AND (c.column_default LIKE 'nextval%' OR c.is_identity = 'YES')"
                )
            ).scalars()
            _EMPTY_ALL[url] = " ".join(
                ["SET LOCAL session_replication_role = replica;"]
                + [
                    f"DELETE FROM {t.name};"  # noqa: S608
                    for t in reversed(db.metadata.sorted_tables)
                    if t.name not in KEPT_TABLES
                ]
                + [f"SELECT setval('{name}', 1, false);" for name in sequences if name]
            )
        conn.exec_driver_sql(_EMPTY_ALL[url])


_RESET_ENGINES: dict[str, Engine] = {}


def _reset_engine(url: str) -> Engine:
    """One engine per database for the resets, kept for the whole run: a new engine per test
    (its first connection, the dialect's questions to the server) cost about 20 ms of the
    reset's 21. Its one connection sits idle in its pool between tests, in no transaction."""
    if url not in _RESET_ENGINES:
        engine = create_engine(url, pool_size=1, max_overflow=0)
        ping_idle_connections(engine, idle_s=0)  # a test may have killed it: replaced
        _RESET_ENGINES[url] = engine
    return _RESET_ENGINES[url]


class WorkerApp:
    """One app per test process, built once: building it costs about 0.2 s (werkzeug
    compiles ~140 URL rules, flask-smorest documents the API), which on some 1,900 tests
    per database was several minutes of every run.

    Every test still starts from nothing: a fresh copy of the migrated database at the
    same URL, an empty instance folder, and the config as it was built."""

    def __init__(self, url: str, instance: Path):
        self.url = url
        self.instance = instance
        self.flask = create_app({"DATABASE_URL": url}, instance_path=str(instance))
        self.flask.test_client_class = IsolatedClient
        self.flask.test_cli_runner_class = IsolatedCliRunner
        self.config = dict(self.flask.config)

    def reset(self) -> None:
        """Forget what the last test did to the config and the instance folder."""
        self.flask.config.clear()
        self.flask.config.update(self.config)
        shutil.rmtree(self.instance, ignore_errors=True)
        self.instance.mkdir(parents=True)


@pytest.fixture(scope="session")
def worker_app(db_backend, database_template, sqlite_folder, tmp_path_factory) -> WorkerApp:
    folder = tmp_path_factory.mktemp("app")
    url = (
        f"sqlite:///{sqlite_folder / 'kitlog.db'}" if db_backend == "sqlite" else database_template
    )
    return WorkerApp(url, folder / "instance")


def _replace_sqlite_file(template: str, url: str) -> None:
    """Put a copy of the template where url points, as a new file: a connection some test
    left open keeps the old file, and the old write-ahead log goes with it."""
    path = Path(url.removeprefix("sqlite:///"))
    for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    copy = path.with_name(path.name + ".new")
    shutil.copyfile(template.removeprefix("sqlite:///"), copy)
    os.replace(copy, path)


@pytest.fixture
def database_url(db_backend, database_template, worker_app) -> str:
    """A fresh, empty, migrated database for one test (the same URL for every test of a
    process: the worker's app is bound to it)."""
    if db_backend == "sqlite":
        _replace_sqlite_file(database_template, worker_app.url)
    else:
        _truncate_all(database_template)
    return worker_app.url


def _complete_address(values: dict, given: dict) -> dict:
    """A test that names only the province or the regency gets the first district and
    village under it (an address must be an official village, down to the village)."""
    levels = places.LEVELS
    named = [i for i, level in enumerate(levels) if given.get(level)]
    if not named or "village_code" in given:
        return values
    deepest = max(named)
    for level in levels[deepest + 1 :]:
        values.pop(level, None)
    found = places.best_match(values)
    if len(found) != deepest + 1:
        return values  # the test's own names are not all official: left as they are
    listed = places.gazetteer()
    parent = found[-1]
    for level in levels[deepest + 1 :]:
        parent = listed.children[parent.code][0]
        values[level] = parent.name
    return values


class IsolatedClient(FlaskClient):
    """Each request runs as in production: its own app context, session and `g`.

    The test's own app context (and its database session) stays outside; what the
    test set up is committed first, so the request sees it.
    """

    def open(self, *args, **kwargs):
        db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


class IsolatedCliRunner(FlaskCliRunner):
    """Each command runs in its own app context and database session, as from a shell."""

    def invoke(self, *args, **kwargs):
        db.session.commit()
        return contextvars.Context().run(super().invoke, *args, **kwargs)


def _age_pooled_connections(engine: Engine) -> None:
    """Make the pool's idle connections due for their ping at the next checkout
    (kitlog.extensions.ping_idle_connections): one a test killed is replaced there, and
    the next test never meets it."""
    for record in list(engine.pool._pool.queue):  # noqa: SLF001 - the idle connections
        if "idle_since" in record.info:
            record.info["idle_since"] -= IDLE_PING_S


@pytest.fixture
def app(database_url, worker_app, db_backend):
    """The worker's app on this test's fresh database, in an app context.

    SQLite: the engine's connections are closed after each test (the next test's database
    is a new file). PostgreSQL: they stay in the pool for the next test, whose tables are
    emptied in place; a new connection per test (a server process started, its catalog
    caches filled) was about a third of the PostgreSQL server's work in the suite."""
    worker_app.reset()
    app = worker_app.flask
    try:
        with app.app_context():
            yield app
            db.session.remove()
            if db_backend == "sqlite":
                db.engine.dispose()
            else:
                _age_pooled_connections(db.engine)
    finally:
        worker_app.reset()


@pytest.fixture
def live_server(app):
    """Serve the test app on a free loopback port for the length of one test: its base URL,
    e.g. http://127.0.0.1:41235 (the browser tests, and clients that fetch by URL). The
    server's requests see what the test committed."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="kitlog-live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def client(app):
    return app.test_client()


_DEMO_SNAPSHOTS: dict[str, tuple[Path, Result]] = {}


@pytest.fixture
def demo(app, runner, db_backend, worker_app, tmp_path_factory) -> Result:
    """This test's database as `kitlog demo` leaves it, and the command's result (its
    output holds the demo's logins). On SQLite the demo runs once per test process and each
    test gets a copy of the database and the instance folder it left (a run costs several
    seconds); on PostgreSQL it runs for each test."""
    if db_backend != "sqlite":
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        return result
    url = worker_app.url
    if url in _DEMO_SNAPSHOTS:
        snapshot, result = _DEMO_SNAPSHOTS[url]
        db.session.remove()
        db.engine.dispose()
        _replace_sqlite_file(f"sqlite:///{snapshot / 'demo.db'}", url)
        shutil.copytree(snapshot / "instance", worker_app.instance, dirs_exist_ok=True)
        return result
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    db.engine.dispose()
    snapshot = tmp_path_factory.mktemp("demo")
    shutil.copytree(worker_app.instance, snapshot / "instance")  # the demo's logins
    source = sqlite3.connect(url.removeprefix("sqlite:///"))
    copy = sqlite3.connect(snapshot / "demo.db")
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    _DEMO_SNAPSHOTS[url] = (snapshot, result)
    return result


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Factory:
    """Builds test data through the services, so the data obeys the same rules."""

    def __init__(self, app):
        self.app = app
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def donor(self, code: str = "KOICA", **kw) -> Donor:
        donor = reference.create_donor(
            db.session, code=code, name=kw.get("name", f"Donor {code}"), country="Korea"
        )
        db.session.commit()
        return donor

    def kit_type(self, code: str = "HK-FAM") -> KitType:
        kit = reference.create_kit_type(
            db.session,
            code=code,
            name="Family hygiene kit",
            weight_kg="6.5",
            volume_m3="0.045",
            contents=[ContentLine("Mask", 10, "pcs"), ContentLine("Soap", 4, "bars")],
        )
        db.session.commit()
        return kit

    def warehouse(self, code: str = "JKT-01", **kw) -> Warehouse:
        """A warehouse in Jakarta Selatan unless its places are given (names or codes)."""
        if not {"province", "regency", "village_code", "regency_code"} & kw.keys():
            kw.update(province="DKI Jakarta", regency="Jakarta Selatan")
        wh = reference.create_warehouse(
            db.session, code=code, name=kw.pop("name", f"Gudang {code}"), **kw
        )
        db.session.commit()
        return wh

    def get_or(self, model, code, make):
        found = db.session.query(model).filter_by(code=code).one_or_none()
        return found or make(code)

    def batch(
        self,
        *,
        received: int = 100,
        damaged: int = 0,
        pledged: int | None = None,
        warehouse: Warehouse | None = None,
        donor: Donor | None = None,
        lot: str | None = None,
        expiry: date | None = ...,  # years_ahead(): never expired, never nearing expiry
    ):
        donor = donor or self.get_or(Donor, "KOICA", self.donor)
        kit = self.get_or(KitType, "HK-FAM", self.kit_type)
        warehouse = warehouse or self.get_or(Warehouse, "JKT-01", self.warehouse)
        if expiry is ...:
            expiry = years_ahead()
        batch = stock.receive_batch(
            db.session,
            donor=donor,
            kit_type=kit,
            warehouse=warehouse,
            reference="AGR-1",
            lot=lot or f"LOT-{self._next()}",
            expiry_date=expiry,
            quantity_pledged=received if pledged is None else pledged,
            quantity_received=received,
            quantity_damaged=damaged,
            received_date=date(2020, 12, 7),
            user=None,
        )
        db.session.commit()
        return batch

    def user(self, role: str = "admin", *, email: str | None = None, donor=None, language="id"):
        if role == "donor" and donor is None:
            donor = self.get_or(Donor, "KOICA", self.donor)
        user = users.create_user(
            db.session,
            email=email or f"{role}{self._next()}@example.org",
            password=PASSWORD,
            role=role,
            name=f"{role.title()} User",
            donor=donor,
            language=language,
        )
        db.session.commit()
        return user

    def token(self, user) -> str:
        _record, token = users.create_token(db.session, user)
        db.session.commit()
        return token

    def nik(self, province_code: str = "35") -> str:
        """A valid NIK, different each call: province, regency, district, birth date, serial."""
        n = self._next()
        return f"{province_code}0701{(n % 28) + 1:02d}0{(n % 9) + 1}85{n % 10000 or 1:04d}"

    def household_values(self, **values) -> dict:
        """The values of a valid household as the API takes them; override any."""
        n = self._next()
        base = {
            "head_name": f"Siti Rahayu {n}",
            "worker_name": f"Agus Santoso {n}",
            "worker_relation": "spouse",
            "nik": self.nik(),
            "phone": f"0812{n:08d}",
            "province": "Jawa Timur",
            "regency": "Kabupaten Malang",
            "district": "Turen",
            "village": village(n),
            "members": 4,
            "vulnerabilities": [],
            "consent": True,
        }
        base.update(values)
        return _complete_address(base, values)

    def household(self, **values):
        """A registered household (through the service, so it obeys the same rules)."""
        household = households.register_household(
            db.session, self.household_values(**values), user=None, confirm_duplicate=True
        )
        db.session.commit()
        return household

    def allocated_parcels(self, count: int, *, opened: bool = True) -> list[Parcel]:
        """`count` allocated parcels of an open (or, `opened=False`, a draft) East Java
        round, one kit each, drawn from a batch of 50 kits (through the distribution
        services)."""
        area = {"province": "Jawa Timur", "regency": "Kabupaten Malang"}
        batch = self.batch(received=50)
        for _ in range(count):
            self.household(**area)
        round_ = distribution.create_round(
            db.session,
            name="Paket kebersihan KOICA",
            batches=[batch],
            warehouse=batch.warehouse,
            entitlement=1,
            user=None,
            **area,
        )
        if opened:
            distribution.open_round(db.session, round_, user=None)
        distribution.allocate(db.session, round_, user=None, today=date(2021, 1, 10))
        db.session.commit()
        return list(
            db.session.scalars(
                select(Parcel).where(Parcel.round_id == round_.id).order_by(Parcel.id)
            )
        )


@pytest.fixture
def make(app) -> Factory:
    return Factory(app)


class AuthActions:
    """Log a browser-like test client in and out through the real login form."""

    def __init__(self, client, make: Factory):
        self._client = client
        self._make = make

    def csrf_token(self, path: str = "/login") -> str:
        import re

        page = self._client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page
        )
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, role: str = "admin", **kw):
        user = self._make.user(role, **kw)
        response = self._client.post(
            "/login",
            data={"email": user.email, "password": PASSWORD, "csrf_token": self.csrf_token()},
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    def logout(self):
        return self._client.post("/logout", data={"csrf_token": self.csrf_token("/dashboard")})


@pytest.fixture
def auth(client, make) -> AuthActions:
    return AuthActions(client, make)


class ApiClient:
    """A client that sends a bearer token and JSON, in a chosen language."""

    def __init__(self, client, token: str | None, language: str = "en"):
        self.client = client
        self.headers = {"Accept-Language": language}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def get(self, path, **kw):
        return self.client.get(path, headers=self.headers, **kw)

    def post(self, path, json=None, **kw):
        return self.client.post(path, json=json, headers=self.headers, **kw)


@pytest.fixture
def api(client, make):
    """api("warehouse"): a client with a new warehouse user's token; api(None): anonymous."""

    def for_role(role: str | None, language: str = "en", **kw) -> ApiClient:
        if role is None:
            return ApiClient(client, None, language)
        return ApiClient(client, make.token(make.user(role, **kw)), language)

    return for_role
