"""What the bench scripts share: scratch PostgreSQL databases, gunicorn, timing, households."""

from __future__ import annotations

import csv
import functools
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"

# -- the scratch PostgreSQL database ------------------------------------------------------------


def libpq(url) -> str:
    """The URL as libpq (psycopg.connect) takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(False)


class ScratchDatabase:
    """A script's own database on a PostgreSQL server, marked by a comment: only ours is dropped."""

    def __init__(
        self,
        name: str,
        marker: str,
        *,
        owner: str = "bench",
        missing: str = "SQLite only",
        skip: str = "skipping PostgreSQL",
    ):
        self.name = name
        self.marker = marker
        self.owner = owner  # "this {owner} did not create"
        self.missing = missing  # said when PostgreSQL does not answer
        self.skip = skip  # said when the database cannot be ours

    def server(self, url: str) -> tuple[str, str] | None:
        """(admin URL, scratch URL) when PostgreSQL answers at url within 5 s, else None."""
        import psycopg

        base = make_url(url)
        try:
            with psycopg.connect(libpq(base), connect_timeout=5):
                pass
        except psycopg.Error as error:
            print(f"PostgreSQL not reachable at {base.render_as_string()}: {self.missing}.")
            print(f"  ({' '.join(str(error).split())})")
            return None
        return base.render_as_string(False), base.set(database=self.name).render_as_string(False)

    def _comment(self, conn) -> tuple[bool, str | None]:
        row = conn.execute(
            text(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :n"
            ),
            {"n": self.name},
        ).first()
        return row is not None, (row[0] if row is not None else None)

    def create(self, admin_url: str) -> bool:
        """Create the database (or reset one this script left behind); False if it is not ours."""
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                exists, comment = self._comment(conn)
                if exists:
                    if comment != self.marker:
                        print(
                            f"A database {self.name!r} exists that this {self.owner} did not"
                            f" create: leaving it alone, {self.skip}."
                        )
                        return False
                    conn.exec_driver_sql(f"DROP DATABASE {self.name} WITH (FORCE)")
                conn.exec_driver_sql(f"CREATE DATABASE {self.name}")
                conn.exec_driver_sql(f"COMMENT ON DATABASE {self.name} IS '{self.marker}'")
        except SQLAlchemyError as error:
            print(f"Cannot create the database {self.name!r}: {self.skip}.")
            print(f"  ({' '.join(str(error.orig or error).split())})")
            return False
        finally:
            engine.dispose()
        return True

    def drop(self, admin_url: str) -> None:
        """Drop the database if it carries our marker."""
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                exists, comment = self._comment(conn)
                if exists and comment == self.marker:
                    conn.exec_driver_sql(f"DROP DATABASE {self.name} WITH (FORCE)")
        finally:
            engine.dispose()

    def bench(
        self, url: str, run: Callable[[str], object], *, skip=False, keep=False, say_kept=True
    ):
        """run(scratch URL) when PostgreSQL answers at url; the database is dropped unless keep."""
        server = None if skip else self.server(url)
        if server is None or not self.create(server[0]):
            return
        try:
            run(server[1])
        finally:
            if not keep:
                self.drop(server[0])
            elif say_kept:
                print(f"PostgreSQL database {self.name!r} kept")


def add_postgresql_option(parser, default: str, database: str) -> None:
    """The --postgresql option of the scripts that bench SQLite then PostgreSQL."""
    parser.add_argument(
        "--postgresql",
        default=default,
        help="a URL on the PostgreSQL server to use (default: KITLOG_TEST_DATABASE_URL);"
        f" the bench creates and drops its own database {database!r} there",
    )


# -- gunicorn -----------------------------------------------------------------------------------


def migrated_app(url: str, instance: Path):
    """kitlog's app on `url` (instance folder `instance`), its database migrated to the
    latest schema without the migrations' own log lines."""
    from flask_migrate import upgrade

    from kitlog import create_app

    app = create_app({"DATABASE_URL": url}, instance_path=str(instance))
    with app.app_context():
        logging.disable(logging.INFO)
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
    return app


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:  # noqa: S310
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def start_gunicorn(
    url: str,
    workers: int,
    port: int,
    log: Path,
    extra_env: dict[str, str] | None = None,
    extra_args: tuple[str, ...] | list[str] = (),
    *,
    timeout: int = 60,
    ready: tuple[str, int] = ("/login", 200),
    app: str = "wsgi:app",
) -> subprocess.Popen:
    """`gunicorn <app>` (kitlog's wsgi:app) on 127.0.0.1:port against url, once GET ready[0]
    answers ready[1]."""
    env = {
        **os.environ,
        "KITLOG_DATABASE_URL": url,
        "KITLOG_SECRET_KEY": "bench-secret-key",
        "KITLOG_ENV": "production",
        "KITLOG_DEMO": "0",
        **(extra_env or {}),
    }
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    command += ["--timeout", str(timeout), *extra_args, app]
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    path, expected = ready
    try:
        while True:
            try:
                if _status(port, path) == expected:
                    return process
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("gunicorn did not start:\n" + log.read_text())
            time.sleep(0.2)
    except BaseException:  # not started, or interrupted while starting: leave nothing behind
        stop_gunicorn(process)
        raise


def stop_gunicorn(process: subprocess.Popen, timeout: float = 15) -> None:
    """Terminate gunicorn, killing it if it has not stopped after timeout seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# -- timing -------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile of values (nearest rank), NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def median_ms(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median milliseconds of repeat calls after one warm-up call, and the last result."""
    result = fn()  # warm-up: caches, query plans, the ORM's compiled statements
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def save_timings(name: str, fields: dict, timings: list) -> Path:
    """Write fields and timings (dataclasses with a ratio) to bench/results/<name>-<stamp>.json."""
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{name}-{stamp}.json"
    path.write_text(
        json.dumps(
            {
                **fields,
                "at": stamp,
                "timings": [asdict(t) | {"ratio": t.ratio} for t in timings],
            },
            indent=2,
        )
    )
    return path


def kitlog_call(fn: Callable[[], object]) -> Callable[[], object]:
    """fn, rolling the session back after each call so every run starts alike."""
    from kitlog.extensions import db

    def run() -> object:
        try:
            return fn()
        finally:
            db.session.rollback()

    return run


# -- reference data and households --------------------------------------------------------------


def hygiene_kit(session):
    """The kit type every bench distributes: HK-FAM, a family hygiene kit."""
    from kitlog.services import reference

    return reference.create_kit_type(
        session,
        code="HK-FAM",
        name="Family hygiene kit",
        weight_kg="6.5",
        volume_m3="0.045",
        contents=[reference.ContentLine("Mask", 10, "pcs")],
    )


HOUSEHOLD_COLUMNS = (
    "head_name,worker_name,worker_relation,nik,phone,province,regency,district,"
    "village,members,vulnerabilities,consent"
)


TUREN = "35.07.09"  # Turen, Kabupaten Malang, Jawa Timur


@functools.cache
def _turen_villages() -> tuple[str, ...]:
    """Turen's villages in the official list of places the imports check names against."""
    path = ROOT / "kitlog" / "data" / "idn-area-data" / "villages.csv"
    with path.open(encoding="utf-8", newline="") as file:
        return tuple(row["name"] for row in csv.DictReader(file) if row["district_code"] == TUREN)


def turen_village(n: int) -> str:
    """Household n's village: one of Turen's, in turn."""
    villages = _turen_villages()
    return villages[n % len(villages)]


def households_csv(count: int, area: dict[str, str], village: Callable[[int], str]) -> bytes:
    """A CSV of count valid households in area's regency, household n living in village(n)."""
    lines = [HOUSEHOLD_COLUMNS]
    for n in range(1, count + 1):
        # a valid NIK, unique for n below 9,999 x 28: birth day and serial from n
        nik = f"350712{(n // 9999) % 28 + 1:02d}0{(n % 9) + 1}85{n % 9999 + 1:04d}"
        lines.append(
            f"Siti Rahayu {n},Agus Santoso {n},spouse,{nik},0812{n:08d},"
            f"{area['province']},{area['regency']},Turen,{village(n)},{1 + n % 7},,yes"
        )
    return ("\n".join(lines) + "\n").encode()
