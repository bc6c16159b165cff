"""The Indonesian words for states are the glossary's (docs/design.md), and no two states of a
parcel read alike.

A field officer reads "Dikirim" and "Terkirim" as the same word, so a parcel on the truck and
a parcel at the door must not be named with them; and *paket* is the parcel, so a kit is
*kit*. These tests read what the app serves (the compiled catalog) and the catalog source.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext

from kitlog.models import ParcelStatus
from kitlog.names import PARCEL_STATUS_IN_TEXT, PARCEL_STATUS_NAMES

ID_CATALOG = (
    Path(__file__).resolve().parent.parent / "kitlog/translations/id/LC_MESSAGES/messages.po"
)

# docs/design.md, "Glossary": the Indonesian word for each parcel status.
GLOSSARY = {
    ParcelStatus.ALLOCATED.value: "Dialokasikan",
    ParcelStatus.PACKED.value: "Dikemas",
    ParcelStatus.DISPATCHED.value: "Dalam perjalanan",
    ParcelStatus.DELIVERED.value: "Diserahkan",
    ParcelStatus.FAILED.value: "Gagal diserahkan",
    ParcelStatus.RETURNED.value: "Dikembalikan ke stok",
    ParcelStatus.CANCELLED.value: "Dibatalkan",
}

# Words that once named two states at once, or a state as something else. *Dikirim* still
# says that a scan is sent to the server, never what happened to a parcel.
MISREAD = re.compile(r"\bterkirim\b|pengiriman gagal", re.IGNORECASE)
MISREAD_FOR_PARCELS = re.compile(r"\bdikirim\b", re.IGNORECASE)
ABOUT_PARCELS = re.compile(r"dispatch|delivered|manifest", re.IGNORECASE)


def _msgstrs(message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, tuple | list) else (message.string,)


def _msgid(message) -> str:
    return message.id[0] if isinstance(message.id, tuple | list) else message.id


@pytest.fixture(scope="module")
def id_catalog():
    with open(ID_CATALOG, "rb") as po:
        return read_po(po, locale="id")


def test_every_parcel_status_has_its_glossary_word(app):
    assert set(GLOSSARY) == {status.value for status in ParcelStatus}
    with app.test_request_context("/"), force_locale("id"):
        served = {status: str(name) for status, name in PARCEL_STATUS_NAMES.items()}
        in_text = {status: str(name) for status, name in PARCEL_STATUS_IN_TEXT.items()}
    assert served == GLOSSARY
    # "failed" also names a failed import, so in running text it stays "gagal".
    for status, word in in_text.items():
        expected = "gagal" if status == ParcelStatus.FAILED.value else GLOSSARY[status].lower()
        assert word == expected, status


def test_no_two_parcel_statuses_share_a_word(app):
    with app.test_request_context("/"), force_locale("id"):
        names = [str(name).lower() for name in PARCEL_STATUS_NAMES.values()]
        in_text = [str(name).lower() for name in PARCEL_STATUS_IN_TEXT.values()]
    assert len(set(names)) == len(names)
    assert len(set(in_text)) == len(in_text)


def test_the_dispatch_button_is_a_verb_and_the_offline_badges_name_the_state(app):
    with app.test_request_context("/"), force_locale("id"):
        assert gettext("Dispatch the manifest").startswith("Berangkatkan")
        assert gettext("Delivered (waiting to sync)").startswith("Diserahkan")
        assert gettext("Delivery failed (waiting to sync)").startswith("Gagal diserahkan")


def test_no_translation_uses_the_words_that_were_misread(id_catalog):
    found = [
        (_msgid(m), text)
        for m in id_catalog
        if m.id
        for text in _msgstrs(m)
        if text
        and (
            MISREAD.search(text)
            or (ABOUT_PARCELS.search(_msgid(m)) and MISREAD_FOR_PARCELS.search(text))
        )
    ]
    assert found == []


def test_a_kit_is_kit_and_a_parcel_is_paket(id_catalog):
    """Messages about kits alone never say *paket*, and messages about parcels alone never
    say *kit*."""
    kit_as_parcel, parcel_as_kit = [], []
    for message in id_catalog:
        msgid = _msgid(message).lower() if message.id else ""
        speaks_of_kits = re.search(r"\bkits?\b", msgid) is not None
        speaks_of_parcels = "parcel" in msgid
        for text in _msgstrs(message):
            if speaks_of_kits and not speaks_of_parcels and "paket" in text.lower():
                kit_as_parcel.append((msgid, text))
            if speaks_of_parcels and not speaks_of_kits and re.search(r"\bkit\b", text, re.I):
                parcel_as_kit.append((msgid, text))
    assert kit_as_parcel == []
    assert parcel_as_kit == []
