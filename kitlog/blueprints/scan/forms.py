"""The scan station's form: the mode, the manifest to load onto, and the scanned code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Regexp, StopValidation

from kitlog.forms import IdSelectField, KitlogForm, choice
from kitlog.services import parcel_actions

MODES = parcel_actions.offered_at(parcel_actions.STATION)
# A short code, a token, or the whole QR URL: the service tells them apart.
CODE_MAX = 300
CODE_INPUT = {
    "autofocus": True,
    "autocomplete": "off",
    "autocapitalize": "off",
    "autocorrect": "off",
    "spellcheck": "false",
    "enterkeyhint": "go",
    "inputmode": "text",
    "maxlength": CODE_MAX,
}


def mode_label(mode: str) -> str:
    return str(parcel_actions.BY_NAME[mode].words.mode)


def names_manifest(mode: str | None) -> bool:
    """Does a scan in this mode name the manifest it loads onto?"""
    action = parcel_actions.BY_NAME.get(mode or "")
    return action is not None and "manifest" in action.requires


class StationForm(KitlogForm):
    """One scan at the warehouse station (the no-JavaScript path; JS queues it instead)."""

    mode = RadioField(
        _l("Mode"),
        choices=[choice(m, m) for m in MODES],
        default="pack",
        validators=[DataRequired()],
    )
    manifest = IdSelectField(_l("Manifest"), blank=_l("Choose an open manifest"))
    code = StringField(
        _l("Scan or type the code"),
        validators=[DataRequired(), Length(max=CODE_MAX)],
        render_kw=CODE_INPUT,
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    # Made by the server when it shows the form: sending the same form twice repeats the
    # first answer (a duplicate) instead of making a second attempt.
    key = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f-]{32,36}$")])

    def set_choices(self, manifests) -> None:
        self.mode.choices = [choice(m, mode_label(m)) for m in MODES]
        self.manifest.set_options(manifests, manifest_label)

    def validate_manifest(self, field) -> bool:
        if names_manifest(self.mode.data) and not field.data:
            raise StopValidation(str(_l("Choose the manifest to load onto.")))
        return True


def manifest_label(manifest) -> str:
    parts = [manifest.number]
    if manifest.destination:
        parts.append(manifest.destination)
    if manifest.vehicle:
        parts.append(manifest.vehicle)
    return " · ".join(parts)
