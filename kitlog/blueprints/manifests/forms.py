"""The manifest form, the list's filters and the dispatch button."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from kitlog.forms import FieldErrorsForm, FilterForm, IdSelectField, KitlogForm, choice
from kitlog.models import MANIFEST_STATUSES
from kitlog.names import MANIFEST_STATUS_NAMES
from kitlog.services.manifests import (
    MAX_DESTINATION,
    MAX_NOTE,
    MAX_PARCELS,
    MAX_REASON,
    MAX_VEHICLE,
)
from kitlog.services.places import normalise_code

CHOOSE = _l("Choose…")


class ManifestForm(FieldErrorsForm):
    warehouse = IdSelectField(
        _l("Leaves from warehouse"), validators=[DataRequired()], blank=CHOOSE
    )
    destination = StringField(
        _l("Destination"),
        validators=[DataRequired(), Length(max=MAX_DESTINATION)],
        description=_l("The village or distribution point, e.g. Desa Sedayu, Kec. Turen."),
    )
    vehicle = StringField(
        _l("Vehicle number plate"),
        validators=[DataRequired(), Length(max=MAX_VEHICLE)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )
    driver_name = StringField(_l("Driver's name"), validators=[DataRequired(), Length(max=120)])
    driver_phone = StringField(
        _l("Driver's phone"),
        validators=[Optional(), Length(max=30)],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    planned_date = DateField(_l("Planned date"), validators=[Optional()])
    parcels = TextAreaField(
        _l("Parcels to load now"),
        validators=[Optional(), Length(max=MAX_PARCELS * 40)],
        description=_l(
            "Optional: their short codes, one a line (a scanner types them). Every one must"
            " be packed. You can also load them later at the scan station."
        ),
        render_kw={"rows": 4, "autocomplete": "off", "spellcheck": "false"},
    )
    note = TextAreaField(
        _l("Note"), validators=[Optional(), Length(max=MAX_NOTE)], render_kw={"rows": 2}
    )

    def parcel_codes(self) -> list[str]:
        return [c for c in re.split(r"[\s,;]+", self.parcels.data or "") if c]


class ManifestFilterForm(FilterForm):
    status = SelectField(
        _l("Status"),
        choices=[choice("", _l("Every status"))]
        + [choice(s, MANIFEST_STATUS_NAMES[s]) for s in MANIFEST_STATUSES],
        validators=[Optional()],
    )
    warehouse = IdSelectField(_l("Warehouse"), validators=[Optional()], blank=_l("Every warehouse"))


class DispatchForm(KitlogForm):
    """The Dispatch (and Remove) buttons: a CSRF token and nothing else."""


class AreaForm(FieldErrorsForm):
    """Load every packed parcel of a round that lives in a district and/or village, each
    named or given by its official code."""

    round = IdSelectField(_l("Round"), validators=[DataRequired()], blank=CHOOSE)
    district = StringField(
        _l("District (kecamatan)"),
        validators=[Optional(), Length(max=100)],
        description=_l("Its name or official code (35.07.09)."),
        render_kw={"list": "waiting-districts", "autocomplete": "off"},
    )
    village = StringField(
        _l("Village (desa/kelurahan)"),
        validators=[Optional(), Length(max=100)],
        description=_l("Its name or official code (35.07.09.1008)."),
        render_kw={"list": "waiting-villages", "autocomplete": "off"},
    )

    def area(self) -> dict[str, str]:
        """The district and village as the service takes them: a name, or a code."""
        values: dict[str, str] = {}
        for level in ("district", "village"):
            text = (getattr(self, level).data or "").strip()
            is_code = normalise_code(text) is not None
            values[f"{level}_code" if is_code else level] = text
        return values

    def error_field(self, name: str):
        """A refused code is shown on the field it was typed in."""
        return super().error_field(name.removesuffix("_code"))


class CloseForm(KitlogForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=MAX_REASON)],
        description=_l(
            "Needed when parcels were never scanned: why they did not come back scanned"
            " (for example: the list stayed in the truck). They go back to stock."
        ),
        render_kw={"rows": 3},
    )


class CancelForm(KitlogForm):
    reason = TextAreaField(
        _l("Why is it cancelled?"),
        validators=[DataRequired(), Length(max=MAX_REASON)],
        render_kw={"rows": 2},
    )
