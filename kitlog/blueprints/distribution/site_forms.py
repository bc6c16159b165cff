"""The forms of a round's distribution sites: the site itself (added or corrected), the
manifest that takes its parcels there, and the end of its day."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from kitlog.forms import CHOOSE_FROM_LIST, FieldErrorsForm, KitlogForm, choice
from kitlog.models.cards import MAX_SITE_NAME
from kitlog.models.households import MAX_PLACE
from kitlog.place_fields import PLACE_INPUT, PlaceFieldsForm
from kitlog.services.manifests import MAX_REASON, MAX_VEHICLE


class SiteForm(PlaceFieldsForm, FieldErrorsForm):
    """A site: its name, the district or village it serves (picked from the lists, its
    code; or typed, its names, which the service matches under the round's area) and
    its days. The province and regency start as the round's. Its ids start with `site-`:
    the round's page holds it beside the parcels' filter, which has a `village` too."""

    PLACE_CODES = {"place_code": ("district", "village")}

    name = StringField(
        _l("Name of the site"),
        validators=[DataRequired(), Length(max=MAX_SITE_NAME)],
        description=_l("Where households come: the village hall, the school…"),
        render_kw={"autocomplete": "off"},
        id="site-name",
    )
    province = StringField(
        _l("Province"),
        validators=[Optional(), Length(max=MAX_PLACE)],
        render_kw=PLACE_INPUT,
        id="site-province",
    )
    regency = StringField(
        _l("Regency or city"),
        validators=[Optional(), Length(max=MAX_PLACE)],
        render_kw=PLACE_INPUT,
        id="site-regency",
    )
    district = StringField(
        _l("District (kecamatan)"),
        validators=[Optional(), Length(max=MAX_PLACE)],
        description=_l("The site serves the round's households that live in this district."),
        render_kw=PLACE_INPUT,
        id="site-district",
    )
    village = StringField(
        _l("Village (desa/kelurahan)"),
        validators=[Optional(), Length(max=MAX_PLACE)],
        description=_l("Name a village to serve only its households."),
        render_kw=PLACE_INPUT,
        id="site-village",
    )
    # The official code of the district or village picked from the lists (places.js).
    place_code = HiddenField(validators=[Optional(), Length(max=20)], id="site-place_code")
    start_date = DateField(_l("First day"), validators=[InputRequired()], id="site-start_date")
    end_date = DateField(
        _l("Last day"),
        validators=[Optional()],
        description=_l("Leave empty for a site of one day."),
        id="site-end_date",
    )

    def error_field(self, name: str):
        """A refused place is shown on the deepest place named: the code is hidden."""
        if name == "place_code":
            return self.village if (self.village.data or "").strip() else self.district
        return super().error_field(name)

    def site_values(self) -> dict[str, object]:
        """The form's values as `services.sites` takes them."""
        return {
            "name": self.name.data,
            **self.place_values(),
            "start_date": self.start_date.data,
            "end_date": self.end_date.data,
        }


class SiteManifestForm(FieldErrorsForm):
    """The truck that takes a site's parcels there: its destination is the site and its
    date the site's first day, so only the vehicle and the driver are asked."""

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


FOLLOW_UP, RETURN = "follow_up", "return"


class EndDayForm(KitlogForm):
    """What becomes of the parcels nobody collected: a choice the user must make."""

    outcome = RadioField(
        _l("The parcels nobody collected"),
        choices=[
            choice(
                FOLLOW_UP,
                _l("Follow them up: each is recorded as not collected and waits for another try"),
            ),
            choice(
                RETURN,
                _l("Return them to stock: the site's manifests are closed"),
            ),
        ],
        validators=[InputRequired(message=_l("Choose what becomes of the parcels."))],
        invalid_choice_message=CHOOSE_FROM_LIST,
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=MAX_REASON)],
        description=_l(
            "Needed to return parcels nobody scanned, for example: not collected by the end"
            " of the site's day."
        ),
        render_kw={"rows": 2},
    )
