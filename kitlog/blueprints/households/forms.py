"""The household registration form, built for a field officer's phone, and the search.

The form checks only the shape of what was sent; the values are checked by
`services.households.clean_household`, which lists every bad one at once, and each
message is shown on its field.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from kitlog.forms import FieldErrorsForm, FilterForm, KitlogForm, choice
from kitlog.models import HouseholdStatus
from kitlog.models.cards import MAX_RELATION
from kitlog.names import HOUSEHOLD_STATUS_NAMES, RELATION_NAMES, VULNERABILITY_NAMES
from kitlog.place_fields import PLACE_INPUT, PlaceFieldsForm
from kitlog.services.errors import DomainError, Duplicate, PossibleDuplicate
from kitlog.services.households import HOUSEHOLD_FIELDS, MAX_NAME, PROVINCE_NAMES

NIK_INPUT = {
    "inputmode": "numeric",
    "pattern": "[0-9 ]*",
    "autocomplete": "off",
    "maxlength": "24",
    "spellcheck": "false",
}
PHONE_INPUT = {"type": "tel", "inputmode": "tel", "autocomplete": "off", "maxlength": "24"}
MEMBERS_INPUT = {
    "inputmode": "numeric",
    "pattern": "[0-9]*",
    "autocomplete": "off",
    "maxlength": "3",
}
NAME_INPUT = {"autocomplete": "off", "autocapitalize": "words", "maxlength": str(MAX_NAME)}


class CheckboxesField(SelectMultipleField):
    """Several choices as large checkboxes; unknown values are left to the service."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, **kwargs)


class HouseholdForm(PlaceFieldsForm, FieldErrorsForm):
    """Register a household: four groups, every value checked by the service. The address
    is the village's official place: picked from the lists (its code) or typed (its
    names, which the service matches)."""

    PLACE_CODES = {"village_code": ("village",)}

    head_name = StringField(_l("Name of the head of household"), render_kw=NAME_INPUT)
    nik = StringField(
        _l("NIK (national ID number)"),
        description=_l("16 digits, on the KTP or the family card (Kartu Keluarga)."),
        render_kw=NIK_INPUT,
    )
    phone = StringField(
        _l("Phone number"),
        description=_l("For example 0812 3456 7890."),
        render_kw=PHONE_INPUT,
    )
    worker_name = StringField(_l("Name of the migrant worker"), render_kw=NAME_INPUT)
    worker_relation = SelectField(
        _l("Relation to the head of household"),
        choices=[choice("", _l("Choose…"))]
        + [choice(value, label) for value, label in RELATION_NAMES.items()],
        default="",
        validate_choice=False,
    )
    province = StringField(
        _l("Province"), description=_l("For example Jawa Timur."), render_kw=PLACE_INPUT
    )
    regency = StringField(
        _l("Regency or city (kabupaten/kota)"),
        description=_l("For example Kabupaten Malang or Kota Surabaya."),
        render_kw=PLACE_INPUT,
    )
    district = StringField(_l("District (kecamatan)"), render_kw=PLACE_INPUT)
    village = StringField(_l("Village (desa/kelurahan)"), render_kw=PLACE_INPUT)
    # The village's official code, when it was picked from the list (places.js).
    village_code = HiddenField()
    members = StringField(
        _l("People in the household"),
        description=_l("Everyone who lives and eats together; not the migrant worker abroad."),
        render_kw=MEMBERS_INPUT,
    )
    vulnerabilities = CheckboxesField(
        _l("Who in the household needs extra care?"),
        description=_l("Tick every one that applies."),
        choices=[choice(value, label) for value, label in VULNERABILITY_NAMES.items()],
    )
    consent = BooleanField(
        _l("The head of household agrees that kitlog keeps these data to deliver aid")
    )
    consent_date = StringField(_l("Date of consent"), render_kw={"type": "date"})
    # Sent by the "register it anyway" button of the look-alike warning.
    confirm_duplicate = BooleanField(_l("This is a different household"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lookalikes: list[str] = []
        self.nik_owner: str | None = None

    def raw(self) -> dict:
        """What the officer typed, as `services.households.clean_household` reads it."""
        values = {name: self[name].data for name, _field in HOUSEHOLD_FIELDS if name in self}
        values["vulnerabilities"] = list(self.vulnerabilities.data or [])
        values.update(self.place_values())
        return values

    def show_error(self, error: DomainError) -> None:
        """Every bad value on its own field; a look-alike as a warning, not an error."""
        if isinstance(error, PossibleDuplicate):
            self.lookalikes = list(error.codes)
            return
        if isinstance(error, Duplicate) and error.field == "nik":
            self.nik_owner = error.extra.get("existing")
        super().show_error(error)


class HouseholdEditForm(HouseholdForm):
    """Correct a household; it may also be marked inactive."""

    status = SelectField(
        _l("Status"),
        choices=[choice(value, label) for value, label in HOUSEHOLD_STATUS_NAMES.items()],
        default=HouseholdStatus.ACTIVE.value,
        validate_choice=False,
    )


class HouseholdSearchForm(FilterForm):
    q = StringField(
        _l("Name, household code, NIK or village"),
        validators=[Length(max=200)],  # longer than any name; SQLite refuses huge LIKEs
        render_kw={"type": "search", "autocomplete": "off", "enterkeyhint": "search"},
    )
    province = SelectField(
        _l("Province"),
        choices=[choice("", _l("All provinces"))]
        + [choice(name, name) for name in sorted(PROVINCE_NAMES)],
        default="",
        validate_choice=False,
    )


class CollectorForm(FieldErrorsForm):
    """Name a collector on the household's page: what was typed is checked by
    `services.collectors.add_collector`, each refusal shown on its field."""

    name = StringField(_l("Collector's name"), render_kw=NAME_INPUT)
    relation = StringField(
        _l("Relation to the household"),
        description=_l("For example tetangga (neighbour) or anak (child)."),
        render_kw={"autocomplete": "off", "maxlength": str(MAX_RELATION)},
    )
    nik = StringField(
        _l("NIK (national ID number)"),
        description=_l("16 digits, from the collector's KTP, if they have one."),
        render_kw=NIK_INPUT,
    )
    phone = StringField(
        _l("Phone number"),
        description=_l("For example 0812 3456 7890."),
        render_kw=PHONE_INPUT,
    )

    def raw(self) -> dict:
        """What the officer typed, as `services.collectors.add_collector` reads it."""
        return {name: self[name].data for name in ("name", "relation", "nik", "phone")}


class RemoveCollectorForm(KitlogForm):
    """Only the CSRF token: the collector to remove is in the URL."""
