"""The follow-ups' filters and the form that puts them on a manifest."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, Optional

from kitlog.forms import FilterForm, IdSelectField, KitlogForm
from kitlog.services.errors import DomainError


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
