"""Time zones: every province has its zone, zones are checked, moments are shown on a
warehouse's clock with WIB, WITA or WIT."""

from __future__ import annotations

import importlib.util
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import render_template_string
from flask_babel import force_locale

from kitlog.services import time_zones as tz
from kitlog.services.errors import InvalidValue
from kitlog.services.households import PROVINCE_NAMES
from kitlog.services.manifests import manifest_year

MIGRATION = next(Path("migrations/versions").glob("*_0009_*.py"))

WITA_PROVINCES = {
    "Bali",
    "Nusa Tenggara Barat",
    "Nusa Tenggara Timur",
    "Kalimantan Selatan",
    "Kalimantan Timur",
    "Kalimantan Utara",
    "Sulawesi Utara",
    "Sulawesi Tengah",
    "Sulawesi Selatan",
    "Sulawesi Tenggara",
    "Gorontalo",
    "Sulawesi Barat",
}


def _expected(province: str) -> str:
    if province in WITA_PROVINCES:
        return "Asia/Makassar"
    if province.startswith(("Maluku", "Papua")):
        return "Asia/Jayapura"
    return "Asia/Jakarta"


@pytest.mark.parametrize("province", PROVINCE_NAMES)
def test_each_province_has_its_zone_and_the_migration_agrees(province):
    spec = importlib.util.spec_from_file_location("migration_0009", MIGRATION)
    assert spec and spec.loader
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert tz.province_zone(province) == _expected(province)
    assert migration._zone(province) == _expected(province)
    assert migration._zone(f"Provinsi {province.upper()}") == _expected(province)


def test_short_names_and_unknown_provinces():
    assert tz.province_zone("ntt") == "Asia/Makassar"
    assert tz.province_zone("Malut") == "Asia/Jayapura"
    assert tz.province_zone("Kalbar") == "Asia/Jakarta"
    assert tz.province_zone("Timor Leste") is None
    assert tz.clean_timezone("", province="Timor Leste", default="Asia/Jayapura") == (
        "Asia/Jayapura"
    )


def test_a_zone_given_wins_and_must_exist(app):
    assert tz.clean_timezone(" Asia/Pontianak ", province="Bali", default="x") == ("Asia/Pontianak")
    assert tz.clean_timezone("America/Los Angeles", province="Bali", default="x") == (
        "America/Los_Angeles"
    )
    for bad in ("Asia/Mataram", "WITA", "/etc/localtime", "../../etc/passwd", "Asia/" + "x" * 80):
        with pytest.raises(InvalidValue) as refused:
            tz.clean_timezone(bad, province="Bali", default="Asia/Jakarta")
        assert refused.value.field == "timezone"


def test_abbreviations():
    assert [tz.abbreviation(z) for z in tz.SUGGESTED] == ["WIB", "WITA", "WIT"]
    assert tz.abbreviation("Asia/Pontianak") == "WIB"
    assert tz.abbreviation("Australia/Darwin") == "UTC+9:30"
    assert tz.abbreviation("UTC") == "UTC+0"


def test_a_moment_on_a_warehouse_clock(app):
    moment = datetime(2026, 12, 3, 16, 30)  # as SQLite gives it back: UTC, no offset
    with app.test_request_context(), force_locale("en"):
        assert tz.format_local(moment, "Asia/Makassar", "d MMM yyyy HH:mm") == (
            "4 Dec 2026 00:30 WITA"
        )
        assert tz.format_local(moment, "Asia/Jayapura", "HH:mm") == "01:30 WIT"
        assert tz.format_local(moment, None, "HH:mm") == "23:30 WIB"  # the deployment's


def test_english_dates_are_day_first_and_indonesian_keeps_its_own(app):
    """A reader in Indonesia takes 12/7/26 for the 12th of July: English is day first."""
    day = date(2026, 12, 7)
    moment = datetime(2026, 12, 7, 7, 5, tzinfo=UTC)  # 14:05 in Jakarta
    page = (
        '{{ d | dateformat }} | {{ d | dateformat("short") }} | {{ m | datetimeformat("short") }}'
    )
    with app.test_request_context(), force_locale("en"):
        assert tz.format_day(day) == "7 Dec 2026"
        assert tz.format_day(day, "short") == "7 Dec 2026"
        assert tz.format_day(day, "long") == "7 December 2026"
        assert tz.format_moment(moment) == "7 Dec 2026, 14:05"
        assert tz.format_local(moment, "Asia/Makassar") == "7 Dec 2026, 15:05 WITA"
        assert tz.format_local(moment, "Asia/Makassar", "HH:mm") == "15:05 WITA"
        assert render_template_string(page, d=day, m=moment) == (
            "7 Dec 2026 | 7 Dec 2026 | 7 Dec 2026, 14:05"
        )
    with app.test_request_context(), force_locale("id"):
        assert tz.format_day(day) == "7 Des 2026"
        assert tz.format_day(day, "long") == "7 Desember 2026"
        assert render_template_string(page, d=day, m=moment).startswith("7 Des 2026 | ")


def test_a_manifest_is_numbered_in_its_warehouses_year(app):
    new_year = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 23:30 in Jakarta, 00:30 in Mataram
    with app.app_context():
        assert manifest_year(new_year, "Asia/Jakarta") == 2026
        assert manifest_year(new_year, "Asia/Makassar") == 2027
