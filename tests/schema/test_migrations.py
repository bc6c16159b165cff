"""The models and the migrations describe the same schema, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from kitlog.extensions import db


def test_migrations_match_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_kitlog_db_check_reports_no_difference(runner):
    result = runner.invoke(args=["db", "check"])
    assert result.exception is None, result.output
    assert result.exit_code == 0, result.output


def test_constraints_follow_the_naming_convention(app):
    inspector = inspect(db.engine)
    fks = inspector.get_foreign_keys("stock_movements")
    assert {fk["name"] for fk in fks} >= {
        "fk_stock_movements_batch_id_donor_batches",
        "fk_stock_movements_warehouse_id_warehouses",
    }
    checks = {c["name"] for c in inspector.get_check_constraints("stock_movements")}
    assert "ck_stock_movements_kind_direction" in checks


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(app, db_backend):
    if db_backend != "sqlite":
        return
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_downgrade_then_upgrade_round_trips(app):
    from flask_migrate import downgrade, upgrade

    downgrade(revision="base")
    assert "stock_movements" not in inspect(db.engine).get_table_names()
    upgrade()
    assert "stock_movements" in inspect(db.engine).get_table_names()


def test_kit_names_in_indonesian_come_and_go_with_their_revision(app):
    from flask_migrate import downgrade, upgrade

    def columns(table: str) -> set[str]:
        return {c["name"] for c in inspect(db.engine).get_columns(table)}

    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO kit_types (code, name, weight_kg, volume_m3, created_at)"
                " VALUES ('HK-OLD', 'Old kit', 1, 0.01, CURRENT_TIMESTAMP)"
            )
        )
    downgrade(revision="0010")
    assert "name_id" not in columns("kit_types") and "item_id" not in columns("kit_items")
    upgrade()
    assert "name_id" in columns("kit_types") and "item_id" in columns("kit_items")
    with db.engine.connect() as connection:
        assert connection.execute(
            text("SELECT name, name_id FROM kit_types WHERE code = 'HK-OLD'")
        ).one() == ("Old kit", "")


def test_links_made_before_share_link_languages_open_in_indonesian(app, make):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy.exc import IntegrityError

    from kitlog.services import share_links

    share_links.create_share_link(db.session, make.donor(), label="old link", user=None)
    db.session.commit()
    db.session.close()
    downgrade(revision="0011")
    assert "language" not in {c["name"] for c in inspect(db.engine).get_columns("share_links")}
    upgrade()
    with db.engine.connect() as connection:
        assert (
            connection.execute(
                text("SELECT language FROM share_links WHERE label = 'old link'")
            ).scalar_one()
            == "id"
        )
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(text("UPDATE share_links SET language = 'ko'"))
