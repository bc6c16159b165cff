"""Forms that name official places (a household's address, a round's area, where a
warehouse stands): a text field per level, hidden fields for the code of the place picked,
and the suggestions a refused name comes with.

The page works without a script: the names are typed and the service matches them; a name
it refuses comes back with its suggestions as choices (`place_pick`). With
kitlog/static/js/places.js the text fields become pick-lists that fill the code fields
(templates/_macros/places.html renders them disabled, so that only the script sends them).
"""

from __future__ import annotations

from collections.abc import Mapping

from wtforms import StringField

from kitlog.forms import KitlogForm
from kitlog.services import places
from kitlog.services.errors import DomainError, InvalidValues

PLACE_INPUT = {
    "autocomplete": "off",
    "autocapitalize": "words",
    "spellcheck": "false",
    "maxlength": "100",
}


class PlaceFieldsForm(KitlogForm):
    """A form with a text field for each level of `PLACE_LEVELS` and a hidden field for
    each code of `PLACE_CODES` (the field's name → the levels whose code it carries)."""

    PLACE_LEVELS: tuple[str, ...] = places.LEVELS
    PLACE_CODES: Mapping[str, tuple[str, ...]] = {}

    # One of the suggestions of a refused name, chosen without a script: its code (any
    # other value is no place, and is ignored).
    place_pick = StringField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # the official places a refused name may have meant, by the field refused
        self.place_suggestions: dict[str, list[dict[str, str | None]]] = {}

    def show_error(self, error: DomainError) -> None:
        for item in getattr(error, "errors", None) or []:
            if item.suggestions:
                self.place_suggestions[item.field] = item.suggestions
        super().show_error(error)

    def place_values(self) -> dict[str, str]:
        """The names and codes as the services take them. A suggestion picked stands for
        its name and its parents' names, and its code goes with them unless a place is
        named below it (that name is then matched under it)."""
        values = {name: (self[name].data or "").strip() for name in self.place_field_names()}
        picked = self._picked()
        if picked is None:
            return values
        for place in picked:
            values[place.level] = self[place.level].data = place.name
        deepest = picked[-1]
        below = self.PLACE_LEVELS[self.PLACE_LEVELS.index(deepest.level) + 1 :]
        named_below = any(values[level] for level in below)
        for name, levels in self.PLACE_CODES.items():
            code = deepest.code if deepest.level in levels and not named_below else ""
            values[name] = self[name].data = code
        self.place_pick.data = ""
        return values

    def place_field_names(self) -> tuple[str, ...]:
        return (*self.PLACE_LEVELS, *self.PLACE_CODES)

    def _picked(self) -> tuple[places.Place, ...] | None:
        """The place chosen among the suggestions, and its parents; None when none was."""
        code = (self.place_pick.data or "").strip()[: places.MAX_CODE]
        if not code:
            return None
        try:
            address = places.resolve(
                {"code": code}, deepest=self.PLACE_LEVELS[-1], required="", code_field="code"
            )
        except InvalidValues:
            return None
        return address.places if address else None
