"""What to print labels on and for which parcels; a label printer's settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from kitlog.documents.labels import DEFAULT_LAYOUT, LAYOUTS
from kitlog.forms import CHOOSE_FROM_LIST, FilterForm, KitlogForm, LocalDecimalField, choice
from kitlog.names import LAYOUT_NAMES, layout_name
from kitlog.services.labels import MAX_OFFSET_MM, MAX_PRINTER_NAME

ALL_PARCELS = "all"
IN_WAREHOUSE = "warehouse"


class LabelChoiceForm(FilterForm):
    """A GET form: the page shows what it would print, the PDF link prints it."""

    output = SelectField(
        _l("Print on"),
        default=f"layout:{DEFAULT_LAYOUT}",
        invalid_choice_message=CHOOSE_FROM_LIST,
        description=_l(
            "Labels of 63.5 × 33.9 mm (24 a sheet) or 63.5 × 38.1 mm (21 a sheet), or one"
            " 50 × 30 mm label at a time. A saved printer also moves the print by its"
            " measured shift."
        ),
    )
    parcels = RadioField(
        _l("Which parcels"),
        choices=[
            choice(ALL_PARCELS, _l("Every parcel of the round that is not cancelled")),
            choice(IN_WAREHOUSE, _l("Only parcels still in the warehouse (allocated or packed)")),
        ],
        default=ALL_PARCELS,
        invalid_choice_message=CHOOSE_FROM_LIST,
    )
    village = SelectField(
        _l("Village"),
        default="",
        invalid_choice_message=CHOOSE_FROM_LIST,
    )

    def set_options(self, printers, villages: list[str]) -> None:
        options = [choice(f"layout:{name}", LAYOUT_NAMES[name]) for name in LAYOUTS]
        options += [
            choice(
                f"printer:{printer.id}",
                _l(
                    "Printer %(name)s: %(layout)s",
                    name=printer.name,
                    layout=layout_name(printer.layout),
                ),
            )
            for printer in printers
        ]
        self.output.choices = options
        self.village.choices = [choice("", _l("Every village"))] + [
            choice(village, village) for village in villages
        ]


# A minus sign: iOS's decimal keypad has none.
SIGNED = {"inputmode": "text"}
OFFSET_HINT = _l(
    "Millimetres; + moves the print right (X) or down (Y), − left or up. From −20 to 20."
)


class PrinterForm(KitlogForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=MAX_PRINTER_NAME)],
        description=_l("So staff recognise it: Office laser, Zebra in the packing hall."),
        render_kw={"autocomplete": "off"},
    )
    layout = SelectField(
        _l("Labels"),
        choices=[choice(name, label) for name, label in LAYOUT_NAMES.items()],
        default=DEFAULT_LAYOUT,
        validators=[InputRequired()],
        invalid_choice_message=CHOOSE_FROM_LIST,
    )
    offset_x_mm = LocalDecimalField(
        _l("Shift right (X)"),
        places=1,
        default=0,
        validators=[InputRequired(), NumberRange(min=-int(MAX_OFFSET_MM), max=int(MAX_OFFSET_MM))],
        description=OFFSET_HINT,
        render_kw=SIGNED,
    )
    offset_y_mm = LocalDecimalField(
        _l("Shift down (Y)"),
        places=1,
        default=0,
        validators=[InputRequired(), NumberRange(min=-int(MAX_OFFSET_MM), max=int(MAX_OFFSET_MM))],
        description=OFFSET_HINT,
        render_kw=SIGNED,
    )
