"""The base form and the fields every page shares.

WTForms' messages come from kitlog's catalog; a service's refusal (a DomainError) is
shown on the field it names.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from babel.numbers import get_decimal_symbol
from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
)

from kitlog.i18n import FormTranslations
from kitlog.services.errors import DomainError
from kitlog.text import storable
from kitlog.unit_of_work import discard

# WTForms' built-in messages that kitlog's forms can show, for the catalog.
WTFORMS_MESSAGES = [
    _l("This field is required."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid date value."),
    _l("Not a valid choice."),
    _l("Invalid email address."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Field must be equal to %(other_name)s."),
]


def _plural_messages(ngettext):
    """Never called: marks WTForms' length messages for the catalog, singular and plural
    together, since WTForms looks them up as a pair."""
    return [
        ngettext(
            "Field must be at least %(min)d character long.",
            "Field must be at least %(min)d characters long.",
            1,
        ),
        ngettext(
            "Field cannot be longer than %(max)d character.",
            "Field cannot be longer than %(max)d characters.",
            1,
        ),
        ngettext(
            "Field must be exactly %(max)d character long.",
            "Field must be exactly %(max)d characters long.",
            1,
        ),
    ]


CHOOSE_FROM_LIST = _l("Choose one from the list.")
NOT_STORABLE = _l("Contains characters that are not allowed.")

# Whole numbers of kits: a numeric keypad on phones, no spinner wheel surprises.
KITS_INPUT = {"inputmode": "numeric", "step": "1", "autocomplete": "off"}


def choice(value, label) -> object:
    """One option of a select field."""
    return SelectChoice(value=value, label=label)


def optional_id(value) -> int | None:
    """Coerce a select's value to an id; the blank option is None."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if hasattr(value, "id") and hasattr(value, "__table__"):  # a model row (form obj=)
        return value.id
    text = str(value).strip()
    if not text.isdigit() or len(text) > 12:
        raise ValueError(text)
    return int(text)


class IdSelectField(SelectField):
    """A select of database rows by id, with an optional blank first option."""

    def __init__(
        self, label=None, validators=None, blank: str | LazyString | None = None, **kwargs
    ):
        kwargs.setdefault("coerce", optional_id)
        kwargs.setdefault("invalid_value_message", CHOOSE_FROM_LIST)
        kwargs.setdefault("invalid_choice_message", CHOOSE_FROM_LIST)
        super().__init__(label, validators, **kwargs)
        self.blank = blank

    def set_options(self, rows, label=lambda row: row.code) -> None:
        """Fill the options from model rows (blank option first when the field has one)."""
        options = [choice("", self.blank)] if self.blank is not None else []
        options += [choice(row.id, label(row)) for row in rows]
        self.choices = options


class KitsField(IntegerField):
    """A whole number of kits, typed on a numeric keypad."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = dict(KITS_INPUT)
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(label, validators, render_kw=render_kw, **kwargs)


class LocalDecimalField(DecimalField):
    """A decimal number that also accepts a comma as the decimal mark (6,5 kg)."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off"}
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist and isinstance(valuelist[0], str):
            text = valuelist[0].strip().replace(" ", "")
            if "," in text and "." not in text:
                text = text.replace(",", ".")
            valuelist = [text]
        super().process_formdata(valuelist)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, Decimal):
            # The reader's decimal mark, no grouping: "6,5" in Indonesian, "6.5" in English;
            # process_formdata reads either back.
            text = format(self.data.normalize(), "f")
            return text.replace(".", get_decimal_symbol(str(get_locale() or "id")))
        return super()._value()


T = TypeVar("T")


class TranslatedMeta:
    def get_translations(self, form):
        return FormTranslations()

    def render_field(self, field, render_kw):
        """Leave out the attributes a template passes as none (`aria_invalid=none` on a
        field without errors): WTForms would print the word "None", which a screen reader
        takes for "invalid". A CSRF token has no id, so a page with several forms has no
        duplicate ids."""
        render_kw = {key: value for key, value in render_kw.items() if value is not None}
        if field.type == "CSRFTokenField":
            render_kw.setdefault("id", False)
        return super().render_field(field, render_kw)


class SubForm(Form):
    """A group of fields repeated inside another form (a kit's content lines)."""

    class Meta(TranslatedMeta):
        pass


def _leaf_fields(form):
    for field in form:
        if isinstance(field, FieldList):
            for entry in field.entries:
                yield from _leaf_fields(entry.form) if isinstance(entry, FormField) else [entry]
        elif isinstance(field, FormField):
            yield from _leaf_fields(field.form)
        else:
            yield field


def field_errors(form) -> list[tuple[str | None, str, str]]:
    """Every refusal on a field as (the id a link goes to, the field's label, the message), in
    the form's order: the list at the top of a refused form, whose links take
    the user to each field. A hidden field (the CSRF token) has no link: None."""
    found = []
    for field in _leaf_fields(form):
        if not field.errors:
            continue
        if field.type in ("CSRFTokenField", "HiddenField"):
            target = None
        elif field.type == "RadioField":
            target = f"{field.id}-0"  # the first choice: the list itself cannot take the focus
        else:
            target = field.id
        for error in field.errors:
            found.append((target, str(field.label.text), str(error)))
    return found


class KitlogForm(FlaskForm):
    class Meta(TranslatedMeta):
        pass

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for field in _leaf_fields(self):
            if isinstance(field.data, str) and not storable(field.data):
                field.errors = [*field.errors, str(NOT_STORABLE)]
                ok = False
        return ok

    def error_field(self, name: str):
        """The field a service's error names: `code`, or `contents.2.quantity`."""
        field = self
        for part in name.split("."):
            if part.isdigit():
                entries = getattr(field, "entries", None)
                if entries is None or int(part) >= len(entries):
                    return None
                field = entries[int(part)]
                field = getattr(field, "form", field)
            else:
                field = getattr(field, "_fields", {}).get(part)
                if field is None:
                    return None
        return None if field is self else field

    def show_error(self, error: DomainError) -> None:
        """Show a refusal next to the field it concerns, or above the form."""
        field = self.error_field(error.field) if error.field else None
        if field is None or not hasattr(field, "errors"):
            self.form_errors.append(str(error))
            return
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        field.errors.append(str(error))

    def save(self, action: Callable[[], T]) -> T | None:
        """Run the submitted form's one service call; the request commits it.

        Returns what the service returned; on a DomainError what the request wrote is
        discarded, the refusal is shown on its field, and the result is None.
        """
        try:
            return action()
        except DomainError as error:
            discard()
            self.show_error(error)
            return None


class FieldErrorsForm(KitlogForm):
    """A form whose service refuses several values at once (`InvalidValues`): each
    refusal goes on its own field."""

    def show_error(self, error: DomainError) -> None:
        errors = getattr(error, "errors", None)
        if not errors:
            super().show_error(error)
            return
        for item in errors:
            super().show_error(DomainError(item.message, field=item.field))


class FilterForm(Form):
    """A GET form of filters: no CSRF token, values from the query string."""

    class Meta(TranslatedMeta):
        pass
