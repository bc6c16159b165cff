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
