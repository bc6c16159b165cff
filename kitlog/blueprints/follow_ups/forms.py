"""The follow-ups' filters and the form that puts them on a manifest."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from kitlog.forms import FieldErrorsForm, FilterForm, IdSelectField, KitlogForm
from kitlog.services.errors import DomainError
from kitlog.services.follow_ups import MAX_RESOLUTION_NOTE


class FollowUpFilterForm(FilterForm):
    round = IdSelectField(_l("Round"), validators=[Optional()], blank=_l("Every round"))
    warehouse = IdSelectField(_l("Warehouse"), validators=[Optional()], blank=_l("Every warehouse"))


class PutOnManifestForm(KitlogForm):
    """The chosen follow-ups (checkboxes named `parcels`) and the manifest they go on."""

    manifest = IdSelectField(
        _l("Put them on manifest"), validators=[DataRequired()], blank=_l("Choose…")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refused: list[dict[str, str]] = []

    def show_error(self, error: DomainError) -> None:
        """Above the form, with each parcel that may not go and why."""
        refused = error.extra.get("refused")
        self.refused = list(refused) if isinstance(refused, list) else []
        self.form_errors.append(str(error))


class ResolveFlagForm(FieldErrorsForm):
    """Resolve one parcel's card mismatch: how it was followed up, in a few words."""

    # WTForms' hints want str; a lazy string is translated when the page is rendered.
    note = StringField(
        _l("How it was resolved"),  # type: ignore[arg-type]
        validators=[DataRequired(), Length(max=MAX_RESOLUTION_NOTE)],
        description=_l("For example: the head of household confirmed the neighbour took it."),  # type: ignore[arg-type]
        render_kw={"autocomplete": "off"},
    )
