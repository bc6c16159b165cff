"""Backups of the whole database, and restoring one: SQLite's online backup, or PostgreSQL's
pg_dump and pg_restore.

A backup holds every household's personal data: files are created readable by their owner
only (mode 0600), and a backup is written to a temporary file beside its target, then
renamed, so a file at PATH is always a whole backup. These functions take the database URL
rather than a session: they copy the database underneath the ORM.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy.engine import URL, make_url

from kitlog.services.errors import Conflict, InvalidValue

# The table every kitlog database has (Alembic's): a file without it is no kitlog backup.
MARKER_TABLE = "alembic_version"
BUSY_TIMEOUT_S = 15.0  # as long as kitlog itself waits for a writer (SQLITE_BUSY_TIMEOUT_MS)


class BackupFailed(InvalidValue):
    """The backup or restore could not be made; the database and PATH are as they were."""


@dataclass(frozen=True)
class BackupFile:
    """A backup written: where, how big, and in which format."""

    path: Path
    size: int
    format: str  # "sqlite" (a database file) or "pg_dump" (pg_dump's custom format)


def backend(url: str) -> str:
    """'sqlite' or 'postgresql', from a SQLAlchemy database URL."""
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupFailed(
            _l("Backups support SQLite and PostgreSQL only, not %(name)s.", name=name)
        )
    return name


def safe_url(url: str) -> str:
    """The URL to show a person: the password masked."""
    return make_url(url).render_as_string(hide_password=True)


def backup_database(url: str, path: str | os.PathLike[str], *, force: bool = False) -> BackupFile:
    """Write a consistent copy of the database at `url` to `path`, while kitlog may be running."""
    target = Path(path).expanduser().absolute()
    if target.is_dir():
        raise BackupFailed(_l("%(path)s is a folder; give a file name.", path=str(target)))
    if target.exists() and not force:
        raise Conflict(_l("%(path)s already exists; nothing was written.", path=str(target)))
    if not target.parent.is_dir():
        raise BackupFailed(_l("The folder %(path)s does not exist.", path=str(target.parent)))
    if backend(url) == "sqlite":
        write = _sqlite_backup
        kind = "sqlite"
    else:
        write = _pg_dump
        kind = "pg_dump"
    tmp = _temporary_beside(target)
    try:
        write(url, tmp)
        _fsync(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)
    return BackupFile(path=target, size=target.stat().st_size, format=kind)


def restore_database(url: str, path: str | os.PathLike[str]) -> BackupFile:
    """Replace the whole database at `url` with the backup at `path`, all or nothing.

    SQLite: kitlog must not be running (the file is swapped underneath it). PostgreSQL:
    pg_restore runs in one transaction; stop kitlog first all the same, or its requests wait
    for the restore and may act on the data they saw before it.
    """
    source = Path(path).expanduser().absolute()
    if not source.is_file():
        raise BackupFailed(_l("There is no backup file at %(path)s.", path=str(source)))
    if backend(url) == "sqlite":
        _sqlite_restore(url, source)
        kind = "sqlite"
    else:
        _pg_restore(url, source)
        kind = "pg_dump"
    return BackupFile(path=source, size=source.stat().st_size, format=kind)


# -- files --------------------------------------------------------------------------------


def _temporary_beside(target: Path) -> Path:
    """An empty file (mode 0600) in the target's folder, so that rename is atomic."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    return Path(name)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some systems cannot open a folder; the rename still happened
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- SQLite -------------------------------------------------------------------------------


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupFailed(_l("An in-memory SQLite database cannot be backed up or restored."))
    return Path(database).expanduser().absolute()


def _copy_sqlite(source: sqlite3.Connection, target: Path) -> None:
    """SQLite's backup API: one consistent snapshot, even while others write (WAL or not).

    The copy is left in rollback-journal mode, so that it is one self-contained file.
    """
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)
        dest.execute("PRAGMA journal_mode = DELETE")
        _require_kitlog(dest, target)
    finally:
        dest.close()


def _require_kitlog(connection: sqlite3.Connection, path: Path) -> None:
    try:
        ok = connection.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        marked = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MARKER_TABLE,)
        ).fetchone()
    except sqlite3.DatabaseError:
        ok, marked = False, None
    if not ok or not marked:
        raise BackupFailed(_l("%(path)s is not a whole kitlog SQLite database.", path=str(path)))


def _sqlite_backup(url: str, tmp: Path) -> None:
    database = _sqlite_file(url)
    if not database.is_file():
        raise BackupFailed(_l("There is no database at %(path)s.", path=str(database)))
    source = sqlite3.connect(database, timeout=BUSY_TIMEOUT_S)
    try:
        _copy_sqlite(source, tmp)
    finally:
        source.close()


def _sqlite_restore(url: str, backup: Path) -> None:
    """Copy the backup beside the database, check it, then rename it over the database.

    The old database's write-ahead log is checkpointed first and its -wal and -shm files
    removed after the rename: a stale log would otherwise be replayed into the new file.
    """
    database = _sqlite_file(url)
    if not database.parent.is_dir():
        raise BackupFailed(_l("The folder %(path)s does not exist.", path=str(database.parent)))
    try:
        source = sqlite3.connect(f"{backup.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupFailed(
            _l("%(path)s is not a whole kitlog SQLite database.", path=str(backup))
        ) from error
    tmp = _temporary_beside(database)
    try:
        try:
            _require_kitlog(source, backup)
            _copy_sqlite(source, tmp)
        finally:
            source.close()
        if database.exists():
            shutil.copymode(database, tmp)
            old = sqlite3.connect(database, timeout=BUSY_TIMEOUT_S)
            try:
                old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                old.close()
        _fsync(tmp)
        os.replace(tmp, database)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    _fsync_folder(database.parent)


# -- PostgreSQL ---------------------------------------------------------------------------


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def pg_connection(url: str) -> tuple[str, dict[str, str]]:
    """libpq's connection string for `url`, without the password, and the environment that
    carries the password (PGPASSWORD): never on a command line that `ps` would show."""
    parsed: URL = make_url(url)
    params: dict[str, str] = {}
    if parsed.host:
        params["host"] = parsed.host
    if parsed.port:
        params["port"] = str(parsed.port)
    if parsed.username:
        params["user"] = parsed.username
    if parsed.database:
        params["dbname"] = parsed.database
    for key, value in parsed.query.items():  # sslmode, host=/run/postgresql, ...
        params[key] = value if isinstance(value, str) else value[-1]
    params.pop("password", None)
    conninfo = " ".join(f"{key}={_quote(value)}" for key, value in params.items())
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    return conninfo, env


def _run(tool: str, arguments: list[str], env: dict[str, str], password: str | None) -> None:
    program = shutil.which(tool)
    if program is None:
        raise BackupFailed(
            _l(
                "%(tool)s is not installed; install PostgreSQL's client tools"
                " (Debian: postgresql-client).",
                tool=tool,
            )
        )
    result = subprocess.run(  # noqa: S603 - a fixed program, arguments never pass a shell
        [program, *arguments], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        if password:
            detail = detail.replace(password, "***")
        raise BackupFailed(
            _l("%(tool)s failed: %(detail)s", tool=tool, detail=detail[-2000:] or "?")
        )


def _pg_dump(url: str, tmp: Path) -> None:
    conninfo, env = pg_connection(url)
    arguments = ["--format=custom", "--no-password", f"--file={tmp}", f"--dbname={conninfo}"]
    _run("pg_dump", arguments, env, make_url(url).password)
    os.chmod(tmp, 0o600)


def _pg_restore(url: str, backup: Path) -> None:
    conninfo, env = pg_connection(url)
    arguments = [
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        "--no-password",
        f"--dbname={conninfo}",
        str(backup),
    ]
    _run("pg_restore", arguments, env, make_url(url).password)
