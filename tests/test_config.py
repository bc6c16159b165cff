"""Configuration: config.py reads the environment; defaults live in the instance folder."""

from __future__ import annotations

import importlib
import stat

import config as kitlog_config


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    first = kitlog_config.load_or_create_secret_key(tmp_path)
    second = kitlog_config.load_or_create_secret_key(tmp_path)
    assert first == second
    assert len(first) >= 64
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path):
    assert kitlog_config.sqlite_url(tmp_path) == f"sqlite:///{tmp_path / 'kitlog.db'}"


def test_environment_variables_are_read_by_config(monkeypatch):
    monkeypatch.setenv("KITLOG_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("KITLOG_BASE_URL", "https://kits.example.org/")
    monkeypatch.setenv("KITLOG_TIMEZONE", "Asia/Makassar")
    monkeypatch.setenv("KITLOG_ENV", "production")
    try:
        reloaded = importlib.reload(kitlog_config)
        cls = reloaded.config_class()
        assert cls is reloaded.ProductionConfig
        assert cls.DATABASE_URL == "postgresql+psycopg://u@h/db"
        assert cls.BASE_URL == "https://kits.example.org"
        assert cls.TIMEZONE == "Asia/Makassar"
        assert cls.SESSION_COOKIE_SECURE is True
    finally:
        monkeypatch.undo()
        importlib.reload(kitlog_config)


def test_app_without_a_secret_key_generates_one_in_its_instance_folder(tmp_path, database_url):
    from kitlog import create_app

    app = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": None}, instance_path=str(tmp_path / "i")
    )
    assert app.config["SECRET_KEY"] == (tmp_path / "i" / "secret_key").read_text()
    again = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": None}, instance_path=str(tmp_path / "i")
    )
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_workers_starting_together_all_get_the_one_key_that_won(tmp_path):
    """Eight processes create the instance key at the same moment on a slow disk: none
    reads a file still empty, all use the same key, and no draft file is left behind."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(kitlog_config.__file__).resolve().parent
    start = tmp_path / "go"
    # A slow disk: the key's file exists a while before its key is written in it.
    script = (
        "import os, sys, time, config\n"
        "real_fdopen = os.fdopen\n"
        "def slow_fdopen(*args, **kwargs):\n"
        "    time.sleep(0.2)\n"
        "    return real_fdopen(*args, **kwargs)\n"
        "os.fdopen = slow_fdopen\n"
        f"while not os.path.exists({str(start)!r}): time.sleep(0.001)\n"
        f"print(config.load_or_create_secret_key({str(tmp_path / 'i')!r}))\n"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script], cwd=root, stdout=subprocess.PIPE, text=True
        )
        for _ in range(8)
    ]
    start.touch()
    keys = [worker.communicate(timeout=30)[0].strip() for worker in workers]
    assert all(len(key) == 64 for key in keys), keys
    assert len(set(keys)) == 1
    assert sorted(p.name for p in (tmp_path / "i").iterdir()) == ["secret_key"]


def test_production_refuses_to_start_without_a_shared_secret_key(monkeypatch, tmp_path):
    import pytest

    from kitlog import create_app

    monkeypatch.setenv("KITLOG_ENV", "production")
    monkeypatch.setattr(kitlog_config.ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="KITLOG_SECRET_KEY"):
        create_app(instance_path=str(tmp_path / "production"))
    assert not (tmp_path / "production" / "secret_key").exists()
