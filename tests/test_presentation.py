"""Presentation in one place: display names in kitlog.names, every template filter and
global registered by kitlog.templating.init_app, report totals on the report."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import render_template_string
from flask_babel import force_locale

from kitlog import names, templating

KITLOG = Path(__file__).resolve().parent.parent / "kitlog"
LAZY = {"_l", "lazy_gettext"}


def display_name_dicts(source: str) -> list[str]:
    """Module-level dicts that map codes (strings or enum members) to lazy translations:
    the kind of table that belongs in kitlog.names."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(value, ast.Dict) or not value.values:
            continue
        keys_are_codes = all(
            isinstance(k, ast.Attribute | ast.Name)
            or (isinstance(k, ast.Constant) and isinstance(k.value, str))
            for k in value.keys
        )
        values_are_lazy = all(
            isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id in LAZY
            for v in value.values
        )
        if keys_are_codes and values_are_lazy:
            found.append(ast.unparse(target))
    return found


def test_the_scan_finds_a_display_name_dict_and_ignores_others():
    source = (
        "from flask_babel import lazy_gettext as _l\n"
        'STATUS_LABELS = {"open": _l("Open"), Status.CLOSED: _l("Closed")}\n'
        'ANNOTATED: dict[str, LazyString] = {"a": lazy_gettext("A")}\n'
        'TITLES = {404: _l("Not found")}\n'  # HTTP statuses are no stored codes
        'INPUT = {"inputmode": "numeric"}\n'
        "def f():\n"
        '    local = {"a": _l("A")}\n'
    )
    assert display_name_dicts(source) == ["STATUS_LABELS", "ANNOTATED"]


def test_display_names_are_declared_only_in_the_registry():
    outside = {
        str(path.relative_to(KITLOG.parent)): found
        for path in sorted(KITLOG.rglob("*.py"))
        if path != KITLOG / "names.py"
        and (found := display_name_dicts(path.read_text(encoding="utf-8")))
    }
    assert outside == {}, "declare display names in kitlog/names.py"
    assert len(display_name_dicts((KITLOG / "names.py").read_text(encoding="utf-8"))) >= 17


def test_no_blueprint_registers_a_filter_or_a_global_of_its_own():
    registering = (
        "app_template_filter",
        "app_template_global",
        "add_app_template",
        "context_processor",
        "jinja_env",
    )
    found = [
        f"{path.relative_to(KITLOG.parent)}: {word}"
        for path in sorted(KITLOG.rglob("*.py"))
        if path.name != "templating.py"
        for word in registering
        if word in path.read_text(encoding="utf-8")
    ]
    assert found == []


def test_the_app_has_exactly_the_filters_and_globals_of_init_app(app):
    for name, function in templating.FILTERS.items():
        assert app.jinja_env.filters[name] is function, name
    for name, value in templating.GLOBALS.items():
        assert app.jinja_env.globals[name] is value, name


FILTERED = [
    ("role_label", "warehouse", "Warehouse staff"),
    ("language_label", "id", "Bahasa Indonesia"),
    ("kind_label", "transfer_out", "Transfer out"),
    ("reason_label", "damaged at receipt", "Damaged at receipt"),
    ("reason_label", "wet boxes", "wet boxes"),  # a person's words, as written
    ("round_status_label", "open", "Open"),
    ("round_status_tone", "draft", "warn"),
    ("parcel_status_label", "failed", "Delivery failed"),
    ("parcel_status_tone", "delivered", "ok"),
    ("manifest_status_label", "dispatched", "Dispatched"),
    ("fail_reason_label", "moved", "Moved away"),
    ("recipient_relation_label", "head", "Head of household"),
    ("layout_label", "a4-3x7", "A4 sheet of 21 labels (L7160)"),
    ("short_code", "ABCDEFGHJ", "ABC-DEF-GHJ"),
]


@pytest.mark.parametrize(("name", "code", "shown"), FILTERED)
def test_each_filter_renders(app, name, code, shown):
    with app.test_request_context("/"), force_locale("en"):
        assert render_template_string(f"{{{{ code | {name} }}}}", code=code) == shown


def test_filters_speak_the_readers_language(app):
    with app.test_request_context("/"), force_locale("id"):
        html = render_template_string("{{ 'delivered' | parcel_status_label }}")
    assert html not in ("", "delivered", "Delivered")


def test_each_global_renders(app):
    moment = datetime(2026, 12, 1, 8, tzinfo=UTC)
    scan = SimpleNamespace(scanned_at=moment)
    template = (
        "{{ language_labels['en'] }}|{{ relation_labels['spouse'] }}|"
        "{{ vulnerability_labels['under5'] }}|{{ vulnerability_badges['under5'] }}|"
        "{{ status_labels['inactive'] }}|{{ parcel_status_labels['returned'] }}|"
        "{{ parcel_tones['failed'] }}|{{ can('stock.read') }}|{{ current_language() }}|"
        "{{ outbox_context()['batch_url'] }}|{{ phone_time_differs(scan, event) }}|"
        "{{ mask_phone('081234567890') != '081234567890' }}|"
        "{{ parcel_last_change is callable }}"
    )
    with app.test_request_context("/"), force_locale("en"):
        html = render_template_string(
            template, scan=scan, event=SimpleNamespace(created_at=moment + timedelta(hours=3))
        )
    assert html.split("|") == [
        "English",
        "Husband or wife",
        "Child under 5",
        "Under 5",
        "Inactive",
        "Returned",
        "danger",
        "False",
        "en",
        "/api/v1/scans/batch",
        "True",
        "True",
        "True",
    ]


def test_an_unknown_code_is_shown_as_stored():
    assert names.name_of(names.ROLE_NAMES, "auditor") == "auditor"
    assert names.name_of(names.ROLE_NAMES, None) == ""


def test_donor_report_totals_add_up_the_batches_and_the_regencies():
    from tests.documents.reports import sample_report

    report = sample_report()
    for field in ("pledged", "received", "lost", "adjusted", "on_hand", "reserved"):
        assert getattr(report.totals, field) == sum(getattr(b, field) for b in report.batches)
    assert report.totals.in_transit == sum(b.in_transit for b in report.batches)
    assert report.totals.delivered == report.delivered == sum(b.delivered for b in report.batches)
    assert report.totals.reconciled
    assert report.region_totals.delivered == sum(r.delivered for r in report.by_region)
    assert report.region_totals.people_reached == sum(r.people_reached for r in report.by_region)
    report.batches[0].lost += 1
    assert not report.totals.reconciled
