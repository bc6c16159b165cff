"""Each aggregate's fields are declared once (`HouseholdValues`, `RoundValues`) and the
storable-text rule once (`kitlog.text`): whatever lists the fields again (the table, the
forms, the API schemas, the import, the export) agrees with the declaration, so a field
added in one place only fails here."""

from __future__ import annotations

import inspect
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import CheckConstraint
from wtforms.fields.core import UnboundField
from wtforms.validators import Length, NumberRange

from kitlog.blueprints.api.distribution import RoundCreateSchema, RoundSchema
from kitlog.blueprints.api.households import HouseholdSchema, HouseholdWriteSchema
from kitlog.blueprints.distribution.forms import DRAFT_ONLY_FIELDS, RoundForm
from kitlog.blueprints.households.forms import HouseholdEditForm, HouseholdForm
from kitlog.models import Household, Round
from kitlog.models.distribution import MAX_ENTITLEMENT, MAX_MEMBERS_PER_KIT, MAX_ROUND_NAME
from kitlog.services import audit, distribution, imports
from kitlog.services import households as hh
from kitlog.services.imports.columns import OPTIONAL_COLUMNS, TEXT_COLUMNS, column_instructions
from kitlog.text import squeeze, storable

TODAY = date(2020, 12, 7)
HOUSEHOLD_NAMES = tuple(name for name, _field in hh.HOUSEHOLD_FIELDS)
ROUND_NAMES = tuple(name for name, _field in distribution.ROUND_FIELDS)
# Columns no form, file or API request sets: kitlog does.
KEPT_BY_KITLOG = {"id", "code", "import_id", "created_by_id", "created_at", "updated_at"}
ROUND_KEPT_BY_KITLOG = {"id", "status", "created_by_id", "created_at", "opened_at", "closed_at"}


def _example_row() -> dict:
    return {name: field.example for name, field in hh.IMPORT_FIELDS}


# -- the storable-text rule --------------------------------------------------------------


@pytest.mark.parametrize("text", ["Siti Rahayu", "Désa Ñ 東京", "", "two\nlines\tand\r\n"])
def test_text_that_may_be_stored(text):
    assert storable(text)


@pytest.mark.parametrize("text", ["a\x00b", "bell\x07", "\x1b[31m", "del\x7f", "lone \ud800"])
def test_control_characters_and_lone_surrogates_are_refused(text):
    assert not storable(text)
    assert not storable(text, one_line=True)


@pytest.mark.parametrize("text", ["a\tb", "a\nb", "a\rb"])
def test_a_value_of_one_line_has_no_tab_or_line_break(text):
    assert storable(text)
    assert not storable(text, one_line=True)


def test_squeeze_trims_and_joins_white_space():
    assert squeeze("  Siti \t  Rahayu \n") == "Siti Rahayu"


def test_the_storable_text_rule_is_written_once():
    """Its signatures: a scan for characters below 32, or a class of control characters."""
    copies = re.compile(r"ord\(ch\)\s*<\s*32|\\x1f|0x7F", re.IGNORECASE)
    package = Path(__file__).resolve().parents[2] / "kitlog"
    found = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if copies.search(path.read_text(encoding="utf-8"))
    )
    assert found == ["text.py"]


# -- households ----------------------------------------------------------------------------


def test_every_household_column_is_a_field_or_kept_by_kitlog():
    stored = hh.clean_household_columns(_example_row(), today=TODAY)
    assert set(stored) | KEPT_BY_KITLOG == set(Household.__table__.c.keys())


def test_the_limits_of_the_fields_are_the_columns_lengths():
    limited = {name: field.max_length for name, field in hh.HOUSEHOLD_FIELDS if field.max_length}
    assert limited
    for name, limit in limited.items():
        assert Household.__table__.c[name].type.length == limit


def test_the_values_to_edit_are_every_field_and_clean_to_the_same_household():
    household = Household(**hh.clean_household(_example_row(), today=TODAY).columns())
    values = hh.household_values(household)
    assert tuple(values) == HOUSEHOLD_NAMES
    assert (
        hh.clean_household(values, today=TODAY).columns()
        == hh.clean_household(_example_row(), today=TODAY).columns()
    )


def test_the_import_columns_are_the_fields_a_file_can_give():
    assert tuple(name for name, _field in hh.IMPORT_FIELDS) == hh.FIELDS
    assert set(HOUSEHOLD_NAMES) - set(hh.FIELDS) == {"status"}
    for name, field in hh.IMPORT_FIELDS:
        assert field.example is not None, name
        assert str(field.hint), name
    optional = {name for name, field in hh.IMPORT_FIELDS if not field.required}
    # a file may leave out an optional column: the example row cleans without them, but
    # for the place, given by the village's code or by the four names
    for place in ({"village_code"}, {"province", "regency", "district", "village"}):
        row = {k: v for k, v in _example_row().items() if k not in optional - place}
        assert hh.clean_household(row, today=TODAY).village_code == "35.07.09.1008"


def test_the_import_templates_are_made_from_the_fields(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert imports.template_csv() == (",".join(hh.FIELDS) + "\r\n").encode()
        instructions = dict(column_instructions())
        hints = {name: str(field.hint) for name, field in hh.IMPORT_FIELDS}
    assert list(instructions) == list(hh.FIELDS)
    for name, field in hh.IMPORT_FIELDS:
        said = "Required." if field.required else "Optional."
        assert instructions[name] == f"{said} {hints[name]}"
    assert {name: field.example for name, field in hh.IMPORT_FIELDS} == imports.EXAMPLE_ROW
    assert set(TEXT_COLUMNS) == {"nik", "phone", "village_code"}
    # a file names its places by the village's code or by the four names
    assert set(OPTIONAL_COLUMNS) == {
        "phone",
        "province",
        "regency",
        "district",
        "village",
        "village_code",
        "vulnerabilities",
        "consent_date",
    }


def test_the_personal_data_export_has_every_field_in_order():
    keys = tuple(key for key, _label, _tag in audit.EXPORT_COLUMNS)
    assert keys == ("code", *HOUSEHOLD_NAMES, "created_at")
    assert all(tag.startswith("#") for _key, _label, tag in audit.EXPORT_COLUMNS)


def test_the_forms_ask_for_every_field():
    def fields_of(form) -> set[str]:
        return {name for name, value in vars(form).items() if isinstance(value, UnboundField)}

    assert set(hh.FIELDS) <= fields_of(HouseholdForm)
    assert set(HOUSEHOLD_NAMES) <= fields_of(HouseholdForm) | fields_of(HouseholdEditForm)


def test_the_api_schemas_carry_every_field():
    assert set(HouseholdWriteSchema._declared_fields) == {*HOUSEHOLD_NAMES, "confirm_duplicate"}
    assert set(HouseholdSchema._declared_fields) == {
        "code",
        *HOUSEHOLD_NAMES,
        "province_code",
        "regency_code",
        "district_code",
        "created_at",
        "updated_at",
    }


# -- rounds --------------------------------------------------------------------------------


def test_every_round_column_is_a_field_or_kept_by_kitlog():
    columns = {
        "warehouse" if column.name == "warehouse_id" else column.name
        for column in Round.__table__.columns
    }
    assert columns | {"batches"} == set(ROUND_NAMES) | ROUND_KEPT_BY_KITLOG
    assert "batches" in Round.__mapper__.relationships


def test_creating_and_correcting_a_round_take_every_field():
    for function in (distribution.create_round, distribution.update_round):
        keywords = inspect.signature(function).parameters
        assert set(ROUND_NAMES) <= set(keywords), function.__name__


def test_the_round_form_and_api_schemas_carry_every_field():
    form_fields = {
        name for name, value in vars(RoundForm).items() if isinstance(value, UnboundField)
    }
    assert set(ROUND_NAMES) == form_fields
    assert set(ROUND_NAMES) == set(RoundCreateSchema._declared_fields)
    assert set(ROUND_NAMES) <= set(RoundSchema._declared_fields)
    assert DRAFT_ONLY_FIELDS == distribution.DRAFT_ONLY


def test_the_round_limits_are_the_tables():
    assert Round.__table__.c["name"].type.length == MAX_ROUND_NAME
    checks = {
        str(c.name).removeprefix("ck_rounds_"): str(c.sqltext)
        for c in Round.__table__.constraints
        if isinstance(c, CheckConstraint)
    }
    assert f"entitlement <= {MAX_ENTITLEMENT}" in checks["entitlement_range"]
    assert f"members_per_kit <= {MAX_MEMBERS_PER_KIT}" in checks["members_per_kit_range"]

    def limits(name) -> dict:
        validators = vars(RoundForm)[name].kwargs.get("validators", [])
        return {
            type(v): getattr(v, "max", None)
            for v in validators
            if isinstance(v, Length | NumberRange)
        }

    assert limits("name") == {Length: MAX_ROUND_NAME}
    assert limits("entitlement") == {NumberRange: MAX_ENTITLEMENT}
    assert limits("members_per_kit") == {NumberRange: MAX_MEMBERS_PER_KIT}
