"""The models and the migrations describe the same schema, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

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


# Households as they were written before kitlog knew the official places (revision 0012,
# the one before them):
# code, then province, regency, district, village as typed.
OLD_HOUSEHOLDS = [
    ("HH-000001", "JAWA TIMUR", "KAB. MALANG", "kec. turen", "Desa Sedayu"),
    ("HH-000002", "Jatim", "Kota Malang", "Klojen", "Kauman"),
    ("HH-000003", "Jawa Timur", "Malang", "Turen", "Sedayu"),  # Kabupaten or Kota?
    ("HH-000004", "Jawa Timur", "Kabupaten Malang", "Turen", "Sedayuu"),  # misspelt
    ("HH-000005", "Atlantis", "Kota Lama", "Pusat", "Desa Baru"),
]


def _insert_old_rows(connection) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    for n, (code, province, regency, district, village) in enumerate(OLD_HOUSEHOLDS, 1):
        connection.execute(
            text(
                "INSERT INTO households (code, head_name, name_key, worker_name,"
                " worker_relation, nik, phone, province, regency, district, village, members,"
                " elderly, disability, pregnant, under5, consent, status, created_at,"
                " updated_at) VALUES (:code, 'Siti', 'siti', 'Agus', 'spouse', :nik, '',"
                " :province, :regency, :district, :village, 4, :no, :no, :no, :no, :no,"
                " 'active', :now, :now)"
            ),
            {
                "code": code, "nik": f"350709010185{n:04d}", "province": province,
                "regency": regency, "district": district, "village": village, "no": False,
                "now": now,
            },
        )  # fmt: skip
    connection.execute(
        text(
            "INSERT INTO warehouses (code, name, province, regency, address, timezone,"
            " created_at) VALUES ('JKT-01', 'Gudang', 'DKI Jakarta', 'Jakarta Selatan', '',"
            " 'Asia/Jakarta', :now)"
        ),
        {"now": now},
    )
    connection.execute(
        text(
            "INSERT INTO rounds (name, warehouse_id, entitlement, province, regency,"
            " vulnerable_first, show_head_name, status, created_at, proof)"
            " SELECT 'Round 1', id, 1, 'Jawa Timur', 'Malang', :no, :no, 'draft', :now, 'none'"
            " FROM warehouses"
        ),
        {"no": False, "now": now},
    )


def test_the_places_migration_matches_old_names_to_codes_without_guessing(app, runner):
    """What the names say for sure gets its code and the official name; what is
    ambiguous, misspelt or unknown keeps what was typed, without a code, and is listed by
    `kitlog places check`. Nothing is dropped."""
    from flask_migrate import downgrade, upgrade

    downgrade(revision="0012")
    assert "places" not in inspect(db.engine).get_table_names()
    with db.engine.begin() as connection:
        _insert_old_rows(connection)
    upgrade()
    with db.engine.connect() as connection:
        households = connection.execute(
            text(
                "SELECT code, province, regency, district, village, province_code,"
                " regency_code, district_code, village_code FROM households ORDER BY code"
            )
        ).all()
        warehouse = connection.execute(
            text("SELECT province, regency, province_code, regency_code FROM warehouses")
        ).one()
        round_ = connection.execute(
            text("SELECT province, regency, province_code, regency_code FROM rounds")
        ).one()
    assert [tuple(row) for row in households] == [
        ("HH-000001", "Jawa Timur", "Kabupaten Malang", "Turen", "Sedayu",
         "35", "35.07", "35.07.09", "35.07.09.1008"),
        ("HH-000002", "Jawa Timur", "Kota Malang", "Klojen", "Kauman",
         "35", "35.73", "35.73.02", "35.73.02.1007"),
        # 'Malang' alone is Kabupaten or Kota Malang: the province only
        ("HH-000003", "Jawa Timur", "Malang", "Turen", "Sedayu", "35", None, None, None),
        # down to the district; the misspelt village keeps its name, without a code
        ("HH-000004", "Jawa Timur", "Kabupaten Malang", "Turen", "Sedayuu",
         "35", "35.07", "35.07.09", None),
        ("HH-000005", "Atlantis", "Kota Lama", "Pusat", "Desa Baru", None, None, None, None),
    ]  # fmt: skip
    assert tuple(warehouse) == (
        "Daerah Khusus Ibukota Jakarta",
        "Kota Administrasi Jakarta Selatan",
        "31",
        "31.74",
    )
    assert tuple(round_) == ("Jawa Timur", "Malang", "35", None)

    check = runner.invoke(args=["places", "check", "--csv", "-"])
    assert check.exit_code == 1
    listed = [line.split(",")[:4] for line in check.stdout.splitlines()[1:]]
    assert listed == [
        ["household", "HH-000003", "regency", "ambiguous"],
        ["household", "HH-000004", "village", "unknown"],
        ["household", "HH-000005", "province", "unknown"],
        ["round", "1", "regency", "ambiguous"],
    ]


def test_the_kept_figures_migration_fills_them_from_the_rows_already_there(app, make):
    from flask_migrate import downgrade, upgrade

    from kitlog.kept_figures import KEPT_TABLES
    from kitlog.services.kept_figures import kept_figures_problems
    from tests.worlds import ReportWorld, report

    world = ReportWorld(make)
    world.play()
    db.session.commit()
    before = report(world.koica)
    db.session.close()
    downgrade(revision="0015")
    assert "ledger_totals" not in inspect(db.engine).get_table_names()
    upgrade()
    with db.engine.connect() as connection:
        for table in KEPT_TABLES:
            count = text(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - our own names
            assert connection.execute(count).scalar_one() > 0
    assert kept_figures_problems(db.session) == []
    after = report(world.koica)
    assert (after.batches, after.by_region, after.timeline) == (
        before.batches,
        before.by_region,
        before.timeline,
    )
    assert after.parcels_failed_once == before.parcels_failed_once > 0
