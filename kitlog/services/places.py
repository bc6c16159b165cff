"""Indonesia's official administrative areas (wilayah), by their Kemendagri codes.

kitlog ships the public list (idn-area-data, under the ODbL; kitlog/data/idn-area-data):
38 provinces, 514 regencies and cities, 7,285 districts and 83,762 villages. A code
writes its parents' codes first, with dots: `35` Jawa Timur, `35.07` Kabupaten Malang,
`35.07.09` Turen, `35.07.09.1008` Sedayu.

This module reads the list once per process (the same files the `places` table is loaded
from) and answers the questions a form, the API, an import and the NIK check ask: which
place a code is, which place a name is under its parent, and what to suggest when a name
is unknown or means more than one place. Names match regardless of case, spacing, accents
and the prefixes people write (`Kab.`, `Kabupaten`, `Kota`, `Kecamatan`, `Desa`, …);
`Kota Malang` and `Kab. Malang` are told apart, `Malang` alone is ambiguous.
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

from kitlog.names import PLACE_LEVEL_IN_TEXT, PLACE_MISSING
from kitlog.services.errors import FieldError, InvalidValues
from kitlog.text import cell_text as _text
from kitlog.text import squeeze

DATA = Path(__file__).resolve().parent.parent / "data" / "idn-area-data"
LEVELS = ("province", "regency", "district", "village")
# The file of each level, and the column that names its parent.
_FILES = {
    "province": ("provinces.csv", None),
    "regency": ("regencies.csv", "province_code"),
    "district": ("districts.csv", "regency_code"),
    "village": ("villages.csv", "district_code"),
}
# Digits in a code of each level, without dots.
CODE_DIGITS = {"province": 2, "regency": 4, "district": 6, "village": 10}
MAX_CODE = 13  # 35.07.09.1008
MAX_SUGGESTIONS = 3

# The words written before a name, by level: (their key, what they mean).
_PREFIXES = {
    "province": (("provinsi", ""), ("prov", "")),
    "regency": (
        ("kabupatenadministrasi", "kabupaten"),
        ("kotaadministrasi", "kota"),
        ("kotamadya", "kota"),
        ("kabupaten", "kabupaten"),
        ("kab", "kabupaten"),
        ("kota", "kota"),
        ("kodya", "kota"),
    ),
    "district": (("kecamatan", ""), ("kec", "")),
    "village": (("kelurahan", ""), ("desa", ""), ("kel", ""), ("ds", "")),
}
# Short names people write for provinces, keyed like _words() keys them.
_PROVINCE_ALIASES = {
    "nad": "11",
    "nanggroeacehdarussalam": "11",
    "sumut": "12",
    "sumbar": "13",
    "sumsel": "16",
    "babel": "19",
    "bangkabelitung": "19",
    "kepri": "21",
    "dki": "31",
    "dkijakarta": "31",
    "jakarta": "31",
    "dkijakartaraya": "31",
    "daerahkhususjakarta": "31",
    "jabar": "32",
    "jateng": "33",
    "jatim": "35",
    "diy": "34",
    "diyogyakarta": "34",
    "yogyakarta": "34",
    "ntb": "52",
    "ntt": "53",
    "kalbar": "61",
    "kalteng": "62",
    "kalsel": "63",
    "kaltim": "64",
    "kaltara": "65",
    "sulut": "71",
    "sulteng": "72",
    "sulsel": "73",
    "sultra": "74",
    "sulbar": "76",
    "malut": "82",
    "pabar": "92",
}
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_CODE = re.compile(r"^\d{2}(\.?\d{2}(\.?\d{2}(\.?\d{4})?)?)?$")


@dataclass(frozen=True, slots=True)
class Place:
    code: str
    name: str
    level: str
    parent: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "name": self.name, "level": self.level, "parent": self.parent}

    @property
    def label(self) -> str:
        """'Kabupaten Malang (35.07)': how a message names it."""
        return f"{self.name} ({self.code})"


def _fold(text: str) -> str:
    """Lower case without accents: 'Bélé' and 'BELE' fold alike."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(ch)
    )


def name_key(level: str, name: str) -> tuple[str, str]:
    """(the kind the prefix says or "", the name's key without it): 'KAB.  Malang' →
    ('kabupaten', 'malang'); 'Gedok-Kulon' → ('', 'gedokkulon')."""
    words = [w for w in _NOT_WORD.split(_fold(name)) if w]
    joined = "".join(words)
    for prefix, kind in _PREFIXES[level]:
        # a prefix is whole words: 'Kota' in 'Kotabaru' is the name, not a prefix
        taken = 0
        built = ""
        while taken < len(words) and len(built) < len(prefix):
            built += words[taken]
            taken += 1
        if built == prefix and taken < len(words):
            return kind, "".join(words[taken:])
    return "", joined


def normalise_code(value: str) -> str | None:
    """A code with dots, or None: '3507091008' and '35.07.09.1008' → '35.07.09.1008'."""
    text = value.strip()
    if not _CODE.match(text):
        return None
    digits = text.replace(".", "")
    parts = [digits[:2], digits[2:4], digits[4:6], digits[6:]]
    return ".".join(part for part in parts if part)


def level_of(code: str) -> str:
    return LEVELS[code.count(".")]


def pcode(code: str | None) -> str:
    """OCHA's P-code of a Kemendagri code: '35.07' → 'ID3507'; '' for no code."""
    return f"ID{code.replace('.', '')}" if code else ""


class Gazetteer:
    """The whole list in memory, indexed by code and by (parent, name key)."""

    def __init__(self, places: Iterator[Place]):
        self.by_code: dict[str, Place] = {}
        self.children: dict[str | None, list[Place]] = {}
        self._by_key: dict[tuple[str | None, str], list[Place]] = {}
        for place in places:
            self.by_code[place.code] = place
            self.children.setdefault(place.parent, []).append(place)
            self._by_key.setdefault((place.parent, _listed_key(place)), []).append(place)

    def get(self, code: str | None) -> Place | None:
        return self.by_code.get(code) if code else None

    def province_of(self, code: str) -> Place | None:
        return self.by_code.get(code[:2])

    def named(self, level: str, name: str, parent: str | None) -> list[Place]:
        """The places of `level` under `parent` that `name` may mean (none, one or more)."""
        kind, key = name_key(level, name)
        if level == "province" and (parent, key) not in self._by_key:
            alias = _PROVINCE_ALIASES.get(kind + key) or _PROVINCE_ALIASES.get(key)
            return [self.by_code[alias]] if alias else []
        found = self._by_key.get((parent, key), [])
        if kind and len(found) > 1:
            found = [p for p in found if name_key(level, p.name.split(" ", 1)[0])[1] == kind]
        elif kind:
            found = [p for p in found if _kind_of(p) in ("", kind)]
        return found

    def similar(self, level: str, name: str, parent: str | None) -> list[Place]:
        """Up to three places under `parent` whose names look like `name`."""
        siblings = self.children.get(parent, [])
        _kind, key = name_key(level, name)
        keys: dict[str, list[Place]] = {}
        for place in siblings:
            keys.setdefault(_listed_key(place), []).append(place)
        close = difflib.get_close_matches(key, list(keys), n=MAX_SUGGESTIONS, cutoff=0.6)
        starting = [k for k in keys if key and k.startswith(key) and k not in close]
        found = [p for k in close + starting for p in keys[k]]  # 'Gedok': Gedok Kulon, …
        return found[:MAX_SUGGESTIONS]

    def search(
        self, level: str, *, parent: str | None = None, q: str = "", limit: int = 50
    ) -> list[Place]:
        """Places of a level (under a parent), whose names contain q's key, best first."""
        if parent is not None:
            pool = [p for p in self.children.get(parent, []) if p.level == level]
        else:
            pool = [p for p in self.by_code.values() if p.level == level]
        if not q.strip():
            return pool[:limit]
        _kind, key = name_key(level, q)
        exact = self.named(level, q, parent) if parent is not None or level == "province" else []
        starts, contains = [], []
        for place in pool:
            place_key = _listed_key(place)
            if place in exact:
                continue
            if place_key.startswith(key):
                starts.append(place)
            elif key in place_key:
                contains.append(place)
        return (exact + starts + contains)[:limit]


def _listed_key(place: Place) -> str:
    """The key of a listed name: only regencies' and provinces' names carry prefixes."""
    if place.level in ("regency", "province"):
        return name_key(place.level, place.name)[1]
    return _NOT_WORD.sub("", _fold(place.name))


def _kind_of(place: Place) -> str:
    if place.level != "regency":
        return ""
    return "kota" if place.name.lower().startswith("kota") else "kabupaten"


def read_places(folder: Path = DATA) -> Iterator[Place]:
    """Every place of the shipped list, parents first."""
    for level in LEVELS:
        filename, parent_column = _FILES[level]
        with open(folder / filename, encoding="utf-8", newline="") as source:
            for row in csv.DictReader(source):
                parent = row[parent_column] if parent_column else None
                yield Place(row["code"], row["name"], level, parent)


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer(read_places())


def _read_provinces() -> tuple[tuple[str, str], ...]:
    with open(DATA / _FILES["province"][0], encoding="utf-8", newline="") as source:
        return tuple((row["code"], row["name"]) for row in csv.DictReader(source))


# (code, name) of the 38 provinces: read without the rest of the list, which a NIK's
# province, a time zone or a pick-list of provinces does not need.
PROVINCES = _read_provinces()
_PROVINCE_BY_KEY = {name_key("province", name)[1]: name for _code, name in PROVINCES}
_PROVINCE_BY_CODE = dict(PROVINCES)


def province_named(text: str) -> str | None:
    """The province `text` names (its name, a short name, or its code), or None."""
    text = text.strip()
    if text in _PROVINCE_BY_CODE:
        return _PROVINCE_BY_CODE[text]
    _kind, key = name_key("province", text)
    if key in _PROVINCE_BY_KEY:
        return _PROVINCE_BY_KEY[key]
    alias = _PROVINCE_ALIASES.get(key)
    return _PROVINCE_BY_CODE[alias] if alias else None


# -- a household's or a warehouse's address ------------------------------------------------


@dataclass(frozen=True)
class Address:
    """Places from the province down to the deepest one given, each with its code."""

    places: tuple[Place, ...]

    def columns(self) -> dict[str, str | None]:
        """`province`, `province_code`, … `village_code`; None below the deepest place."""
        columns: dict[str, str | None] = {}
        for i, level in enumerate(LEVELS):
            place = self.places[i] if i < len(self.places) else None
            columns[level] = place.name if place else None
            columns[f"{level}_code"] = place.code if place else None
        return columns

    @property
    def code(self) -> str:
        return self.places[-1].code


def _unknown(level: str, name: str, parent: Place | None) -> FieldError:
    places = gazetteer()
    suggestions = places.similar(level, name, parent.code if parent else None)
    shown = squeeze(name)[:60]
    if parent is None:
        message = _l("%(value)s is not one of Indonesia's 38 provinces.", value=shown)
    elif suggestions:
        message = _l(
            "%(value)s is not a place in %(parent)s. Did you mean: %(suggestions)s?",
            value=shown,
            parent=parent.name,
            suggestions=", ".join(p.label for p in suggestions),
        )
    else:
        message = _l("%(value)s is not a place in %(parent)s.", value=shown, parent=parent.name)
    return FieldError(level, message, suggestions=[p.as_dict() for p in suggestions])


def _ambiguous(level: str, name: str, found: list[Place], parent: Place | None) -> FieldError:
    message = _l(
        "%(value)s in %(parent)s may be any of: %(places)s. Choose one, or give its code.",
        value=squeeze(name)[:60],
        parent=parent.name if parent else "Indonesia",
        places=", ".join(p.label for p in found[:MAX_SUGGESTIONS]),
    )
    return FieldError(level, message, suggestions=[p.as_dict() for p in found[:MAX_SUGGESTIONS]])


def _regency_anywhere(name: str) -> Place:
    """The one regency or city of any province called `name` ('Kabupaten Malang')."""
    places = gazetteer()
    found = [p for code, _n in PROVINCES for p in places.named("regency", name, code)]
    if len(found) == 1:
        return found[0]
    if not found:
        message = _l("%(value)s is not a regency or city kitlog knows.", value=squeeze(name)[:60])
        return _raise(FieldError("regency", message))
    return _raise(_ambiguous("regency", name, found, None))


def _raise(error: FieldError) -> Place:
    raise InvalidValues([error])


def find(level: str, name: str, parent: Place | None) -> Place:
    """The one place of `level` called `name` under `parent`; raises InvalidValues with
    the field's error and suggestions when there is none or more than one."""
    found = gazetteer().named(level, name, parent.code if parent else None)
    if len(found) == 1:
        return found[0]
    if not found:
        raise InvalidValues([_unknown(level, name, parent)])
    raise InvalidValues([_ambiguous(level, name, found, parent)])


def resolve(
    raw: Mapping[str, object],
    *,
    deepest: str = "village",
    required: str = "village",
    code_field: str = "village_code",
) -> Address | None:
    """The address `raw` gives, by code (`code_field`: any level's code, with or without
    dots) or by names (`province`, `regency`, … down to `deepest`, each under the one
    before); both may be given, and must then agree. Places down to `required` must be
    given; None when nothing at all is. Raises InvalidValues naming each bad field."""
    places = gazetteer()
    names = {level: squeeze(_text(raw.get(level))) for level in LEVELS}
    depth = LEVELS.index(deepest) + 1
    code_text = squeeze(_text(raw.get(code_field)))
    if code_text:
        code = normalise_code(code_text)
        place = places.get(code)
        if place is None or LEVELS.index(place.level) >= depth:
            message = _l("%(value)s is not an official place code.", value=code_text[:20])
            raise InvalidValues([FieldError(code_field, message)])
        if required and LEVELS.index(place.level) < LEVELS.index(required):
            message = _l(
                "%(value)s is the code of %(name)s: give the code of a %(level)s.",
                value=code_text[:20],
                name=place.name,
                level=PLACE_LEVEL_IN_TEXT[required],
            )
            raise InvalidValues([FieldError(code_field, message)])
        chain = _chain(place)
        errors = [
            FieldError(
                level,
                _l(
                    "%(value)s does not match the code %(code)s (%(name)s).",
                    value=names[level][:60],
                    code=found.code,
                    name=found.name,
                ),
            )
            for level, found in zip(LEVELS, chain, strict=False)
            if names[level] and found not in places.named(level, names[level], found.parent)
        ]
        if errors:
            raise InvalidValues(errors)
        given = chain
    else:
        given = []
        parent: Place | None = None
        if not names["province"] and names["regency"]:  # a regency is enough to know its province
            parent = _regency_anywhere(names["regency"])
            given = [places.by_code[parent.code[:2]], parent]
        for level in LEVELS[len(given) : depth]:
            if not names[level]:
                break
            parent = find(level, names[level], parent)
            given.append(parent)
        if not given and not any(names.values()):
            if required:
                raise InvalidValues([FieldError("province", _l("Choose the province."))])
            return None
    missing = LEVELS[len(given) : LEVELS.index(required) + 1] if required else ()
    if missing:
        level = missing[0]
        raise InvalidValues([FieldError(level, PLACE_MISSING[level])])
    for level in LEVELS[len(given) : depth]:  # a name below a gap is refused
        if names[level]:
            raise InvalidValues([FieldError(LEVELS[len(given)], PLACE_MISSING[LEVELS[len(given)]])])
    return Address(tuple(given))


def _chain(place: Place) -> list[Place]:
    places = gazetteer()
    chain = [place]
    while chain[0].parent:
        chain.insert(0, places.by_code[chain[0].parent])
    return chain


def nik_area_known(nik: str) -> bool:
    """Digits 1–6 of a NIK are a real regency and district code."""
    places = gazetteer()
    return f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}" in places.by_code


def best_match(names: Mapping[str, object]) -> list[Place]:
    """The places `names` give, from the province down, as far as each name is found
    (one place, not ambiguous) under the one before: what an old free-text address
    can be matched to without guessing."""
    places = gazetteer()
    found: list[Place] = []
    for level in LEVELS:
        name = squeeze(_text(names.get(level)))
        if not name:
            break
        candidates = places.named(level, name, found[-1].code if found else None)
        if len(candidates) != 1:
            break
        found.append(candidates[0])
    return found
