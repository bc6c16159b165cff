"""What kitlog keeps on disk and in its log stays private: the instance folder, the SQLite
database with its write-ahead log and the secret key are its owner's only, and a database
error is logged without the values of the row."""

from __future__ import annotations

import logging
import os
import stat

import pytest
from sqlalchemy import text

from kitlog import create_app
from kitlog.extensions import db
from kitlog.services import households as household_service


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    """The common umask (022), under which files are readable by everyone by default."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_instance_folder_database_and_secret_key_are_the_owners_only(tmp_path, loose_umask):
    instance = tmp_path / "instance"
    app = create_app({"DATABASE_URL": None, "SECRET_KEY": None}, instance_path=str(instance))
    database = instance / "kitlog.db"
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600
    assert mode(database) == 0o600
    with app.app_context():
        with db.engine.connect() as connection:  # a first write: the WAL and its index
            connection.execute(text("CREATE TABLE notes (body TEXT)"))
            connection.execute(text("INSERT INTO notes VALUES ('Siti Rahayu')"))
            for suffix in ("-wal", "-shm"):
                assert mode(f"{database}{suffix}") == 0o600, suffix
        db.engine.dispose()
    assert mode(database) == 0o600
    # an administrator who opened the folder to a group keeps that choice on the next start
    instance.chmod(0o750)
    database.chmod(0o640)
    create_app({"DATABASE_URL": None}, instance_path=str(instance))
    assert (mode(instance), mode(database)) == (0o750, 0o640)


def test_a_nik_refused_by_the_database_is_not_in_the_log(app, api, make, monkeypatch, caplog):
    """Two registrations of one NIK at the same instant: both pass the service's check
    (bypassed here), the database's unique constraint refuses the second, and its error
    (SQLAlchemy's [parameters: ...], PostgreSQL's "Key (nik)=(...)") stays out of the log."""
    first = make.household()
    monkeypatch.setattr(household_service, "nik_owner", lambda *args, **kwargs: None)
    client = api("admin")
    with caplog.at_level(logging.DEBUG):
        response = client.post(
            "/api/v1/households", json=make.household_values(nik=first.nik, phone="")
        )
    assert response.status_code == 409
    assert "integrity error on POST /api/v1/households" in caplog.text
    assert "households" in caplog.text  # the table or constraint is named
    assert first.nik not in caplog.text
    assert first.nik[:8] not in caplog.text
