"""Forms for donors, kit types (with their content lines) and warehouses."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import FieldList, FormField, HiddenField, StringField, TextAreaField
from wtforms.utils import unset_value
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from kitlog.forms import FieldErrorsForm, KitlogForm, KitsField, LocalDecimalField, SubForm
from kitlog.models.reference import MAX_TIMEZONE
from kitlog.place_fields import PLACE_INPUT, PlaceFieldsForm
from kitlog.services.reference import ContentLine

CODE_HINT = _l("Letters, digits, - and _; it is printed on labels and cannot change later.")
CODE_INPUT = {"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}
CONTENT_ROWS = 8  # rows on the page; a kit with more lines (the API takes 100) shows them all
MAX_CONTENT_LINES = 100
SPARE_ROWS = 4  # empty rows after a saved kit's lines, so that lines can be added


class DonorForm(KitlogForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=32)],
        description=CODE_HINT,
        render_kw=dict(CODE_INPUT, placeholder="KOICA"),
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    country = StringField(_l("Country"), validators=[Optional(), Length(max=100)])

    def values(self) -> dict[str, object]:
        """What the donor services take besides the code."""
        return {"name": self.name.data, "country": self.country.data or ""}


class WarehouseForm(PlaceFieldsForm, FieldErrorsForm):
    """Add or correct a warehouse: where it stands is an official regency at least, its
    district and village if known, picked from the lists (the code of the deepest) or typed
    (the names, which the service matches)."""

    PLACE_CODES = {"village_code": ("village",), "regency_code": ("regency",)}

    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=32)],
        description=CODE_HINT,
        render_kw=dict(CODE_INPUT, placeholder="JKT-01"),
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    province = StringField(
        _l("Province"), validators=[DataRequired(), Length(max=100)], render_kw=PLACE_INPUT
    )
    regency = StringField(
        _l("Regency or city"), validators=[DataRequired(), Length(max=100)], render_kw=PLACE_INPUT
    )
    district = StringField(
        _l("District (kecamatan)"), validators=[Optional(), Length(max=100)], render_kw=PLACE_INPUT
    )
    village = StringField(
        _l("Village (desa/kelurahan)"),
        validators=[Optional(), Length(max=100)],
        render_kw=PLACE_INPUT,
    )
    # The official code of the village, or of the regency, picked from the lists.
    village_code = HiddenField(validators=[Optional(), Length(max=20)])
    regency_code = HiddenField(validators=[Optional(), Length(max=20)])
    address = TextAreaField(
        _l("Address"), validators=[Optional(), Length(max=500)], render_kw={"rows": 3}
    )
    timezone = StringField(
        _l("Time zone"),
        validators=[Optional(), Length(max=MAX_TIMEZONE)],
        description=_l(
            "Leave empty to use the province's: WIB, WITA or WIT. Otherwise its IANA name, "
            "such as Asia/Makassar."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false", "placeholder": "Asia/Makassar"},
    )

    def values(self) -> dict[str, object]:
        """What the warehouse services take besides the code."""
        return {
            "name": self.name.data,
            **self.place_values(),
            "address": self.address.data or "",
            "timezone": self.timezone.data or "",
            "default_timezone": current_app.config["TIMEZONE"],
        }


class DonorEditForm(DonorForm):
    """A donor's form without its code: a code never changes."""

    code = None


class WarehouseEditForm(WarehouseForm):
    """A warehouse's form without its code: a code never changes."""

    code = None


class ContentLineForm(SubForm):
    """One line of a kit's contents; a line left wholly empty is ignored."""

    item = StringField(_l("Item"), validators=[Optional(), Length(max=200)])
    item_id = StringField(_l("Item in Indonesian"), validators=[Optional(), Length(max=200)])
    quantity = KitsField(_l("Quantity"), validators=[Optional(), NumberRange(min=1, max=100_000)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=40)])

    def is_empty(self) -> bool:
        return (
            not (self.item.raw_data and self.item.raw_data[0].strip())
            and not (self.quantity.raw_data and self.quantity.raw_data[0].strip())
            and not (self.unit.raw_data and self.unit.raw_data[0].strip())
            and not (self.item_id.raw_data and self.item_id.raw_data[0].strip())
        )

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.is_empty():
            return True
        ok = True
        for field in (self.item, self.quantity, self.unit):
            if field.data in (None, ""):
                field.errors.append(_l("Fill in the item, its quantity and its unit."))
                ok = False
        return ok


class ContentRows(FieldList):
    """A fixed number of rows: the rows sent, then blank ones.

    WTForms' own padding reads the submitted data again for the padded rows, which
    repeats a row when the rows sent have gaps (0 and 2, not 1).
    """

    def process(self, formdata, data=unset_value, extra_filters=None):
        wanted, self.min_entries = self.min_entries, 0
        try:
            super().process(formdata, data, extra_filters)
        finally:
            self.min_entries = wanted
        while len(self.entries) < self.min_entries:
            self._add_entry(None)


class KitTypeForm(KitlogForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=32)],
        description=CODE_HINT,
        render_kw=dict(CODE_INPUT, placeholder="HK-FAM"),
    )
    name = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=200)])
    name_id = StringField(
        _l("Name in Indonesian"),
        validators=[Optional(), Length(max=200)],
        description=_l("Shown on pages in Bahasa Indonesia; leave empty to show the English name."),
    )
    weight_kg = LocalDecimalField(
        _l("Weight of one kit (kg)"),
        places=3,
        validators=[InputRequired(), NumberRange(min=0, max=999_999)],
    )
    volume_m3 = LocalDecimalField(
        _l("Volume of one kit (m³)"),
        places=4,
        validators=[InputRequired(), NumberRange(min=0, max=999_999)],
    )
    contents = ContentRows(
        FormField(ContentLineForm), min_entries=CONTENT_ROWS, max_entries=MAX_CONTENT_LINES
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.line_errors: list[str] = []  # about the contents as a whole

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if all(entry.form.is_empty() for entry in self.contents.entries):
            self.line_errors.append(str(_l("List at least one item in the kit.")))
            ok = False
        return ok

    def values(self) -> dict[str, object]:
        """What the kit type services take besides the code."""
        return {
            "name": self.name.data,
            "name_id": self.name_id.data or "",
            "weight_kg": self.weight_kg.data,
            "volume_m3": self.volume_m3.data,
            "contents": self.content_lines(),
        }

    def content_lines(self) -> list[ContentLine]:
        """The filled-in lines, in order; empty rows are skipped."""
        self._line_rows = [i for i, e in enumerate(self.contents.entries) if not e.form.is_empty()]
        return [
            ContentLine(
                item=self.contents.entries[i].form.item.data.strip(),
                quantity=self.contents.entries[i].form.quantity.data,
                unit=self.contents.entries[i].form.unit.data.strip(),
                item_id=(self.contents.entries[i].form.item_id.data or "").strip(),
            )
            for i in self._line_rows
        ]

    def show_error(self, error) -> None:
        if error.field == "contents":
            self.line_errors.append(str(error))
        else:
            super().show_error(error)

    def error_field(self, name: str):
        """The service numbers only the filled-in lines: find the row on the page."""
        parts = name.split(".")
        rows = getattr(self, "_line_rows", None)
        if parts[0] == "contents" and len(parts) == 3 and parts[1].isdigit() and rows:
            index = int(parts[1])
            if index < len(rows):
                name = f"contents.{rows[index]}.{parts[2]}"
        return super().error_field(name)


class KitTypeEditForm(KitTypeForm):
    """A kit type's form without its code: a code never changes."""

    code = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        saved = kwargs.get("obj")
        if saved is not None:  # its lines, then room for more even when all eight are used
            rows = min(max(CONTENT_ROWS, len(saved.contents) + SPARE_ROWS), MAX_CONTENT_LINES)
            while len(self.contents.entries) < rows:
                self.contents.append_entry()
