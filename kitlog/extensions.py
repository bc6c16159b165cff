"""Flask extensions, created unbound and initialised by create_app()."""

from __future__ import annotations

import fcntl
import os
import time

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, foreign keys, a busy timeout, and transactions that kitlog begins itself.

    pysqlite's own implicit BEGIN is switched off so that a write can start with
    BEGIN IMMEDIATE (see begin_write): SQLite then serialises writers up front
    instead of failing one of them at commit. Writers queue for that lock at the
    WriterQueue first (a file beside the database), so a waiting writer starts as soon as
    the one before it is done rather than when SQLite's busy handler wakes it up.
    """
    if engine.dialect.name != "sqlite":
        return
    queue = WriterQueue.for_database(engine.url.database, busy_timeout_ms / 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.info["sqlite_begin"] = mode
        if mode == "IMMEDIATE" and queue is not None:
            queue.enter(connection.connection.dbapi_connection)
        connection.exec_driver_sql(f"BEGIN {mode}")

    if queue is None:
        return

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection):
        queue.leave(connection.connection.dbapi_connection)

    @event.listens_for(engine, "checkin")
    @event.listens_for(engine, "close")
    def _on_checkin(dbapi_connection, _record):
        if dbapi_connection is not None:
            queue.leave(dbapi_connection)


class WriterQueue:
    """Where SQLite writers wait for each other: an flock on `<database>-writers`.

    SQLite's busy handler makes a writer that finds the database locked sleep, longer
    each time (up to 100 ms a nap), so under a queue of writers, such as scanners
    packing at once, a writer often sleeps well past the moment the lock was freed. Here
    each writer takes the flock before BEGIN IMMEDIATE, trying again every fraction of a
    millisecond, and gives it back when its transaction ends (just before its COMMIT or
    ROLLBACK, which take microseconds in WAL mode). The flock only orders kitlog's own
    writers: SQLite's lock still guards the database, and a writer that waited
    `timeout` seconds goes on to BEGIN IMMEDIATE and SQLite's own busy timeout.
    """

    _queues: dict[str, WriterQueue] = {}

    def __init__(self, path: str, timeout: float):
        self.path = path
        self.timeout = timeout
        self._held: dict[int, int] = {}  # id(DBAPI connection) -> the file descriptor

    @classmethod
    def for_database(cls, database: str | None, timeout: float) -> WriterQueue | None:
        """The queue of an SQLite file (one per file in a process); None in memory."""
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        path = os.path.abspath(database) + "-writers"
        queue = cls._queues.get(path)
        if queue is None:
            queue = cls._queues[path] = cls(path, timeout)
        return queue

    def enter(self, dbapi_connection) -> None:
        key = id(dbapi_connection)
        if key in self._held:
            return
        try:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return  # a read-only folder: SQLite's busy handler alone orders the writers
        deadline = time.monotonic() + self.timeout
        pause = 0.0002
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(descriptor)
                    return
                time.sleep(pause)
                pause = min(pause * 2, 0.001)
            else:
                self._held[key] = descriptor
                return

    def leave(self, dbapi_connection) -> None:
        descriptor = self._held.pop(id(dbapi_connection), None)
        if descriptor is not None:
            os.close(descriptor)  # closing the file frees its flock


# A pooled PostgreSQL connection idle this long is pinged before it serves a request.
IDLE_PING_S = 10.0


def ping_idle_connections(engine: Engine, idle_s: float = IDLE_PING_S) -> None:
    """Before a pooled connection serves again, ping it if it sat idle `idle_s` or more
    (the server may have restarted, or a firewall dropped it); one that fails the ping is
    replaced, and the request never sees it.

    A connection checked in a moment ago is not pinged: a busy server would otherwise send
    one more round trip with every request (SQLAlchemy's pool_pre_ping) for connections
    that were working a few milliseconds before.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_s:
            return  # new, or back in the pool a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError("a pooled connection failed its ping") from error
