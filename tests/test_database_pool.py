"""PostgreSQL connections kept in the pool: one that died while idle is replaced before a
request uses it, and one that served a moment ago is used without a ping."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from kitlog.extensions import db, ping_idle_connections

pytestmark = pytest.mark.postgresql_only


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_backend_pid()"))


def _terminate(database_url: str, pid: int) -> None:
    killer = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with killer.connect() as connection:
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()


def test_a_connection_killed_while_idle_is_replaced(app, database_url):
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    ping_idle_connections(engine, idle_s=0)
    try:
        first = _backend_pid(engine)
        _terminate(database_url, first)
        assert _backend_pid(engine) != first  # the dead one was pinged and replaced
    finally:
        engine.dispose()


def test_a_connection_back_a_moment_ago_is_not_pinged(app, database_url):
    """The other side of the idle window: within it the pool hands the connection back
    unpinged, so a dead one reaches the caller (what the window trades for one round trip
    less per request)."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    ping_idle_connections(engine, idle_s=3600)
    try:
        _terminate(database_url, _backend_pid(engine))
        with pytest.raises(OperationalError), engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def test_kitlogs_engine_pings_idle_connections(app, database_url):
    """The app's own engine: its pooled connection, killed and left idle past the window,
    is replaced and the next request is answered."""
    with app.app_context():
        engine = db.engine
        engine.dispose()
        first = _backend_pid(engine)
        pool = engine.pool
        for record in list(pool._pool.queue):  # noqa: SLF001 - age the idle connections
            record.info["idle_since"] -= 3600
        _terminate(database_url, first)
        assert _backend_pid(engine) != first
