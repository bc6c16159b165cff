"""The pick-lists of official places a form offers as the user types: a level's places
under their parent, or those whose names match what was typed.

A list never dumps the whole country: below the regency (7,285 districts, 83,762
villages) it names the parent or at least three letters of the name, and it holds at most
MAX_PLACES places, more than any parent has children (the most: 108 villages of one
district), so a parent's list is always whole.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from kitlog.names import PLACE_LEVEL_IN_TEXT
from kitlog.services import places
from kitlog.services.errors import InvalidValue
from kitlog.services.places import LEVELS, Place

MAX_PLACES = 150
MIN_LETTERS = 3  # of a name searched for in the whole country, below the regency
_WIDE = ("district", "village")  # the levels too many to list without a parent


def list_places(level: str, *, parent: str = "", q: str = "") -> list[Place]:
    """The places of `level` under `parent` (a code, with or without dots) whose names
    match `q` regardless of case, spacing and the prefixes people write ('Kab.', 'Kota',
    'Desa'), best first: the name itself, then names starting, then containing it.
    'Kota M' lists only cities; 'Kab' alone, every regency that is a kabupaten.
    Raises InvalidValue on `parent` or `q`."""
    found_parent = _parent(level, parent)
    kind, key = places.name_key(level, q)
    if q.strip() and places.name_key(level, f"{q} x")[1] == "x":
        # only the word written before a name: 'Kota' alone lists every city
        kind, key = places.name_key(level, f"{q} x")[0], ""
    if found_parent is None and level in _WIDE:
        if not q.strip():
            raise InvalidValue(
                _l(
                    "Give the code of the place above (parent), or at least %(n)s letters"
                    " of the name (q).",
                    n=MIN_LETTERS,
                ),
                field="parent",
            )
        if len(key) < MIN_LETTERS:
            raise InvalidValue(
                _l("Type at least %(n)s letters of the name.", n=MIN_LETTERS), field="q"
            )
    gazetteer = places.gazetteer()
    found = gazetteer.search(
        level,
        parent=found_parent.code if found_parent else None,
        q=q if key else "",
        limit=len(gazetteer.by_code),
    )
    if kind:  # 'Kota Malang': the city, not the regency of the same name
        found = [p for p in found if places.name_key(level, p.name)[0] in ("", kind)]
    if key:  # the name itself first, in the whole country too (a stable sort)
        found.sort(key=lambda p: places.name_key(level, p.name)[1] != key)
    return found[:MAX_PLACES]


def _parent(level: str, parent: str) -> Place | None:
    """The place a list is under: the one level above `level`, or None when not given."""
    text = parent.strip()
    if not text:
        return None
    above = LEVELS[LEVELS.index(level) - 1] if level != LEVELS[0] else None
    if above is None:
        raise InvalidValue(_l("Provinces are not under another place."), field="parent")
    code = places.normalise_code(text)
    found = places.gazetteer().get(code)
    if found is None:
        raise InvalidValue(
            _l("%(value)s is not an official place code.", value=text[:20]), field="parent"
        )
    if found.level != above:
        raise InvalidValue(
            _l(
                "%(place)s is not the place just above this list: give the code of a %(level)s.",
                place=found.label,
                level=PLACE_LEVEL_IN_TEXT[above],
            ),
            field="parent",
        )
    return found
