"""The Indonesian catalog covers every message of the code and templates, keeps each
placeholder, and is what the app actually serves.

Indonesian (`id`) is the default language; English is the source of every msgid. When a
test here fails with a list of missing msgids, extract and update the catalogs
(see kitlog/translations) and translate what is new in
kitlog/translations/id/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "kitlog" / "translations"
ID_CATALOG = TRANSLATIONS / "id" / "LC_MESSAGES" / "messages.po"
# The keywords `make translations` passes to pybabel, besides Babel's defaults
# (_, gettext, ngettext, N_, ...): the lazy strings of forms, labels and services.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
# Directories never searched for messages. Unlike Babel's legacy default, this does not
# skip directories starting with "_": templates/_macros holds rendered text too.
SKIPPED_DIRS = {"__pycache__", "node_modules"}

# %(name)s, %(min)d, a bare %s ... (and %% is a literal percent sign, not a placeholder).
PERCENT = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdifreEgGxXoc]")
BRACES = re.compile(r"\{\w*\}")  # {min}, {max}, {choices}: filled by marshmallow


def _directory_filter(path: str) -> bool:
    name = os.path.basename(path)
    return not name.startswith(".") and name not in SKIPPED_DIRS


class Found(NamedTuple):
    forms: tuple[str, ...]  # (msgid,) or (msgid, msgid_plural)
    where: str  # the first place it occurs, e.g. templates/base.html:14


def extracted_messages() -> dict[str, Found]:
    """Every message that babel.cfg's extraction finds in the code and templates now."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, "babel.cfg")
    found: dict[str, Found] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT,
        method_map,
        options_map,
        keywords=KEYWORDS,
        directory_filter=_directory_filter,
    ):
        forms = tuple(m for m in message if m) if isinstance(message, tuple) else (message,)
        if forms and forms[0] and forms[0] not in found:
            found[forms[0]] = Found(forms, f"{Path(filename).as_posix()}:{lineno}")
    return found


@pytest.fixture(scope="module")
def extracted() -> dict[str, Found]:
    return extracted_messages()


@pytest.fixture(scope="module")
def id_catalog():
    with open(ID_CATALOG, "rb") as po:
        return read_po(po, locale="id")


def _msgstrs(message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, tuple | list) else (message.string,)


def _placeholders(text: str) -> Counter:
    return Counter(PERCENT.findall(text.replace("%%", ""))) + Counter(BRACES.findall(text))


def test_extraction_finds_python_lazy_strings_and_templates(extracted):
    """The extraction below is the one the catalog is checked against: it must see
    lazy strings in kitlog/**.py, {{ _("...") }} in templates/**, macros included."""
    where = {found.where for found in extracted.values()}
    assert any(w.startswith("kitlog/") for w in where)
    assert any(w.startswith("templates/_macros/") for w in where)
    assert "Dashboard" in extracted  # templates/base.html
    assert "Warehouse staff" in extracted  # _l in kitlog/names.py
    assert "This field is required." in extracted  # _l in kitlog/forms.py
    assert "Must be one of: {choices}." in extracted  # N_ in kitlog/blueprints/api
    assert "(optional)" in extracted  # templates/_macros/forms.html
    assert extracted["%(num)s movement"].forms == ("%(num)s movement", "%(num)s movements")


def test_the_indonesian_catalog_has_one_plural_form(id_catalog):
    assert id_catalog.num_plurals == 1
    assert id_catalog.plural_expr.strip() in {"0", "(0)"}


def test_every_message_in_the_code_has_an_indonesian_translation(extracted, id_catalog):
    missing = []
    for msgid, (forms, where) in sorted(extracted.items()):
        entry = id_catalog.get(msgid)
        if entry is None:
            missing.append(f"{where}: {msgid!r} is not in the catalog")
        elif entry.fuzzy:
            missing.append(f"{where}: {msgid!r} is fuzzy")
        elif not all(s.strip() for s in _msgstrs(entry)):
            missing.append(f"{where}: {msgid!r} has no translation")
        elif len(forms) == 2 and not entry.pluralizable:
            missing.append(f"{where}: {msgid!r} is plural in the code, singular in the catalog")
    catalog = ID_CATALOG.relative_to(ROOT)
    assert not missing, (
        f"{len(missing)} message(s) lack an Indonesian translation in {catalog}"
        " (extract with `pybabel extract -F babel.cfg -k _l -k lazy_gettext"
        " --ignore-dirs '.* __pycache__ node_modules'`, `pybabel update`, translate):\n  "
        + "\n  ".join(missing)
    )


def test_every_translation_keeps_the_placeholders_of_its_msgid(id_catalog):
    wrong = []
    for message in id_catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        expected = _placeholders(ids[-1])  # Indonesian's one form follows the plural msgid
        for text in _msgstrs(message):
            if text and _placeholders(text) != expected:
                wrong.append(
                    f"{ids[0]!r} -> {text!r}: {sorted(_placeholders(text).elements())}"
                    f" instead of {sorted(expected.elements())}"
                )
    assert not wrong, "placeholders changed in translation:\n  " + "\n  ".join(wrong)


def test_every_translation_formats_like_its_msgid(id_catalog):
    """A translation that Python cannot format would turn a page into a server error."""
    broken = []
    for message in id_catalog:
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
        for text in _msgstrs(message):
            if not text:
                continue
            try:
                if BRACES.search(msgid):
                    values = {name.strip("{}"): 1 for name in BRACES.findall(msgid)}
                    text.format(**values)
                elif PERCENT.search(msgid):
                    names = re.findall(r"%\((\w+)\)", msgid)
                    text % dict.fromkeys(names, 1)  # noqa: B018 - formatting is the check
            except (KeyError, IndexError, ValueError, TypeError) as error:
                broken.append(f"{msgid!r} -> {text!r}: {error!r}")
    assert not broken, "translations that fail to format:\n  " + "\n  ".join(broken)


def test_the_login_page_is_in_indonesian_by_default(compiled_catalogs, client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="id">' in html
    assert "Masuk" in html
    assert ">Log in<" not in html


def test_the_login_page_is_in_english_on_request(compiled_catalogs, client):
    response = client.get("/login", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Log in" in html
    assert "Masuk" not in html


def test_plurals_and_placeholders_are_served_in_indonesian(compiled_catalogs, app):
    from flask_babel import force_locale, gettext, ngettext

    with app.test_request_context("/"), force_locale("id"):
        assert ngettext("%(num)s movement", "%(num)s movements", 1) == "1 mutasi"
        assert ngettext("%(num)s movement", "%(num)s movements", 5) == "5 mutasi"
        assert gettext("Welcome, %(name)s", name="Siti") == "Selamat datang, Siti"
        assert gettext("Warehouse staff") == "Staf gudang"
